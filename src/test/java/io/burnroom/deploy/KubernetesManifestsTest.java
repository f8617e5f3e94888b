package io.burnroom.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.KubernetesConfig;
import io.burnroom.cluster.ClusterConfig;
import io.burnroom.config.AppConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/kubernetes/ passes the Kubernetes API's schemas offline (src/test/node/kubernetes-validate.mjs: the
 * schemas of the npm package kubernetes-models, strict about unknown fields) and keeps the promises of a Burnroom
 * deployment: nothing writable, not root, probes on the health endpoints, a handover that fits the grace period,
 * the management and cluster ports kept from the public, and a discovery setting the node really understands.
 */
@DisplayName("Kubernetes manifests")
class KubernetesManifestsTest {
  private static final Path DIR = Paths.get("deploy", "kubernetes").toAbsolutePath();
  private static final Path VALIDATOR = Paths.get("src", "test", "node", "kubernetes-validate.mjs").toAbsolutePath();
  /** Main waits this long for a node's handover on SIGTERM before it gives up. */
  private static final int HANDOVER_SECONDS = 30;
  private static List<JsonObject> docs;

  private record Validation(int exit, String output) {
    JsonArray documents() {
      return new JsonObject(output.lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow(
          () -> new AssertionError("validator printed no result:\n" + output))).getJsonArray("documents");
    }
  }

  private static Validation validate(List<Path> files) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("node", VALIDATOR.toString()));
    files.forEach(f -> cmd.add(f.toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("the validator ran (2: its npm packages are missing):%n%s", out).isIn(0, 1);
    return new Validation(p.exitValue(), out);
  }

  @BeforeAll
  static void validateAll() throws Exception {
    List<Path> files;
    try (Stream<Path> s = Files.list(DIR)) {
      files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    Validation v = validate(files);
    docs = v.documents().stream().map(JsonObject.class::cast).toList();
    for (JsonObject d : docs) {
      assertThat(d.getJsonArray("errors")).as("%s %s in %s", d.getString("kind"), d.getString("name"),
          d.getString("file")).isEmpty();
    }
    assertThat(v.exit()).isZero();
  }

  private static JsonObject object(String kind, String name) {
    return docs.stream().filter(d -> kind.equals(d.getString("kind")) && name.equals(d.getString("name")))
        .map(d -> d.getJsonObject("object")).findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in deploy/kubernetes/"));
  }

  private static JsonObject pod() {
    return object("Deployment", "burnroom").getJsonObject("spec").getJsonObject("template");
  }

  private static JsonObject container() {
    return pod().getJsonObject("spec").getJsonArray("containers").getJsonObject(0);
  }

  @Test
  @DisplayName("every document passes the API schema; a planted typo, a wrong type, a bad enum and an unknown kind do not")
  void schemaValidation(@TempDir Path tmp) throws Exception {
    assertThat(docs).extracting(d -> d.getString("kind"))
        .containsExactlyInAnyOrder("Deployment", "Service", "Service", "PodDisruptionBudget", "NetworkPolicy");
    Path bad = tmp.resolve("bad.yaml");
    Files.writeString(bad, String.join("\n", "apiVersion: apps/v1", "kind: Deployment", "metadata: {name: x}",
        "spec:", "  replicas: \"3\"", "  selector: {matchLabels: {a: b}}", "  template:",
        "    metadata: {labels: {a: b}}", "    spec:", "      containers:", "        - name: c", "          image: i",
        "          imagePullPolice: Always", "          ports: [{containerPort: 8080, protocol: TCPX}]", "---",
        "apiVersion: v1", "kind: Servce", "metadata: {name: y}", ""));
    Validation v = validate(List.of(bad));
    assertThat(v.exit()).isEqualTo(1);
    assertThat(v.documents().getJsonObject(0).getJsonArray("errors").encode())
        .contains("/spec/replicas must be integer", "containers/0/imagePullPolice: unknown field",
            "containers/0/ports/0/protocol must be equal to one of the allowed values");
    assertThat(v.documents().getJsonObject(1).getJsonArray("errors").encode()).contains("unknown apiVersion/kind");
  }

  @Test
  @DisplayName("nothing writable and nothing privileged: read-only root, no volume, not root, no capability, no token")
  void lockedDown() {
    JsonObject spec = pod().getJsonObject("spec");
    JsonObject sc = container().getJsonObject("securityContext");
    assertThat(sc.getBoolean("readOnlyRootFilesystem")).isTrue();
    assertThat(sc.getBoolean("allowPrivilegeEscalation")).isFalse();
    assertThat(sc.getJsonObject("capabilities").getJsonArray("drop").getList()).containsExactly("ALL");
    assertThat(spec.getJsonObject("securityContext").getBoolean("runAsNonRoot")).isTrue();
    assertThat(spec.getJsonObject("securityContext").getInteger("runAsUser")).isEqualTo(10001);
    assertThat(spec.containsKey("volumes")).as("no volume at all").isFalse();
    assertThat(container().containsKey("volumeMounts")).isFalse();
    assertThat(spec.getBoolean("automountServiceAccountToken")).as("DNS discovery needs no API token").isFalse();
    JsonObject resources = container().getJsonObject("resources");
    assertThat(resources.getJsonObject("requests").fieldNames()).contains("cpu", "memory");
    assertThat(resources.getJsonObject("limits").getString("memory"))
        .isEqualTo(resources.getJsonObject("requests").getString("memory"));
  }

  @Test
  @DisplayName("probes on /health/ready and /health/live, and a preStop plus the handover fit the grace period")
  void probesAndGracefulStop() {
    assertThat(container().getJsonObject("readinessProbe").getJsonObject("httpGet").getString("path"))
        .isEqualTo("/health/ready");
    assertThat(container().getJsonObject("livenessProbe").getJsonObject("httpGet").getString("path"))
        .isEqualTo("/health/live");
    JsonArray preStop = container().getJsonObject("lifecycle").getJsonObject("preStop").getJsonObject("exec")
        .getJsonArray("command");
    assertThat(preStop.getString(0)).isEqualTo("sleep");
    int preStopSeconds = Integer.parseInt(preStop.getString(1));
    assertThat(pod().getJsonObject("spec").getInteger("terminationGracePeriodSeconds"))
        .as("preStop + the node's handover bound + margin").isGreaterThanOrEqualTo(preStopSeconds + HANDOVER_SECONDS + 5);
    JsonObject pdb = object("PodDisruptionBudget", "burnroom").getJsonObject("spec");
    assertThat(pdb.getValue("maxUnavailable")).isEqualTo(1);
    assertThat(pdb.getJsonObject("selector")).isEqualTo(object("Deployment", "burnroom").getJsonObject("spec")
        .getJsonObject("selector"));
  }

  @Test
  @DisplayName("the public Service carries chat only; the cluster port is reachable from Burnroom pods alone")
  void portsKeptFromThePublic() {
    JsonArray publicPorts = object("Service", "burnroom").getJsonObject("spec").getJsonArray("ports");
    assertThat(publicPorts.stream().map(p -> ((JsonObject) p).getValue("targetPort")).toList()).containsExactly("chat");
    JsonObject headless = object("Service", "burnroom-cluster").getJsonObject("spec");
    assertThat(headless.getString("clusterIP")).isEqualTo("None");
    assertThat(headless.getBoolean("publishNotReadyAddresses")).isTrue();

    JsonObject podLabels = pod().getJsonObject("metadata").getJsonObject("labels");
    JsonObject policy = object("NetworkPolicy", "burnroom").getJsonObject("spec");
    assertThat(policy.getJsonObject("podSelector").getJsonObject("matchLabels")).isEqualTo(podLabels);
    for (Object o : policy.getJsonArray("ingress")) {
      JsonObject rule = (JsonObject) o;
      List<Object> ports = rule.containsKey("ports")
          ? rule.getJsonArray("ports").stream().map(p -> ((JsonObject) p).getValue("port")).toList() : List.of();
      boolean onlyBurnroomPods = rule.containsKey("from") && rule.getJsonArray("from").stream()
          .allMatch(f -> podLabels.equals(((JsonObject) f).getJsonObject("podSelector", new JsonObject())
              .getJsonObject("matchLabels")));
      if (!onlyBurnroomPods) {
        assertThat(ports).as("a rule that admits others names its ports: %s", rule).isNotEmpty()
            .doesNotContain("hazelcast", 5701);
      }
    }
  }

  @Test
  @DisplayName("the node accepts the manifest's settings: every BURNROOM_* variable exists, and discovery is Kubernetes DNS")
  void nodeUnderstandsTheSettings() throws IOException {
    Map<String, String> env = new HashMap<>();
    Map<String, String> downward = Map.of("POD_IP", "10.244.1.7", "POD_NAMESPACE", "chat");
    for (Object o : container().getJsonArray("env")) {
      JsonObject e = (JsonObject) o;
      if (e.containsKey("value")) {
        String value = e.getString("value");
        for (Map.Entry<String, String> d : downward.entrySet()) {
          value = value.replace("$(" + d.getKey() + ")", d.getValue());
        }
        env.put(e.getString("name"), value);
      }
    }
    String readme = Files.readString(Paths.get("README.md"), StandardCharsets.UTF_8);
    env.keySet().stream().filter(k -> k.startsWith(AppConfig.PREFIX))
        .forEach(k -> assertThat(readme).as("%s is a documented variable", k).contains("`" + k + "`"));

    AppConfig config = AppConfig.from(env);
    assertThat(config.clusterDiscovery()).isEqualTo(AppConfig.Discovery.KUBERNETES);
    assertThat(config.clusterServiceDns()).isEqualTo("burnroom-cluster.chat.svc.cluster.local");
    assertThat(config.mgmtHost()).as("probes reach the management port on the pod's address").isEqualTo("10.244.1.7");
    KubernetesConfig k8s = ClusterConfig.hazelcast(config).getAdvancedNetworkConfig().getJoin().getKubernetesConfig();
    assertThat(k8s.isEnabled()).isTrue();
    assertThat(k8s.getProperty("service-dns")).startsWith(object("Service", "burnroom-cluster")
        .getJsonObject("metadata").getString("name") + ".");
  }
}
