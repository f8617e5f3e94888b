package io.burnroom.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operators' deploy files are valid for the tools that load them, and every alert fires when it should. */
@DisplayName("Prometheus, alert and Grafana files")
class DeployConfigTest {
  private static final Path DEPLOY = Paths.get("deploy").toAbsolutePath();

  @Test
  @DisplayName("promtool accepts deploy/prometheus.yml with its rule file")
  void prometheusConfigIsValid() {
    assumeThat(Promtool.available()).as(Promtool.MISSING).isTrue();
    Promtool.Result r = Promtool.run(null, "check", "config", "--lint=all", "--lint-fatal",
        DEPLOY.resolve("prometheus.yml").toString());
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output()).contains("1 rule files found");
  }

  @Test
  @DisplayName("the scrape targets are the 3-node convention: management ports 9091-9093 on 127.0.0.1")
  void scrapesTheThreeNodeCluster() throws IOException {
    String config = Files.readString(DEPLOY.resolve("prometheus.yml"), StandardCharsets.UTF_8);
    assertThat(config).contains("127.0.0.1:9091", "127.0.0.1:9092", "127.0.0.1:9093", "metrics_path: /metrics")
        .doesNotContain(":8081").doesNotContain(":9090\"");
  }

  @Test
  @DisplayName("promtool accepts deploy/alerts.yml and lint finds nothing")
  void alertRulesAreValid() {
    assumeThat(Promtool.available()).as(Promtool.MISSING).isTrue();
    Promtool.Result r = Promtool.run(null, "check", "rules", "--lint=all", "--lint-fatal",
        DEPLOY.resolve("alerts.yml").toString());
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output()).contains("4 rules found");
  }

  @Test
  @DisplayName("each alert fires on the situation it names, and stays quiet on a healthy cluster")
  void alertsFire(@TempDir Path dir) throws IOException {
    assumeThat(Promtool.available()).as(Promtool.MISSING).isTrue();
    Path test = dir.resolve("alerts_test.yml");
    Files.writeString(test, RULE_TESTS.replace("RULES", DEPLOY.resolve("alerts.yml").toString()));
    Promtool.Result r = Promtool.run(null, "test", "rules", test.toString());
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output()).contains("SUCCESS");
  }

  @Test
  @DisplayName("the Grafana dashboard is importable JSON: a datasource input, panels with Prometheus queries")
  void dashboardIsImportable() throws IOException {
    JsonObject d = new JsonObject(Files.readString(DEPLOY.resolve("grafana/burnroom.json"), StandardCharsets.UTF_8));
    assertThat(d.getString("title")).isEqualTo("Burnroom");
    assertThat(d.getJsonArray("__inputs").getJsonObject(0).getString("pluginId")).isEqualTo("prometheus");
    JsonArray panels = d.getJsonArray("panels");
    long queries = panels.stream().map(JsonObject.class::cast).filter(p -> !"row".equals(p.getString("type")))
        .peek(p -> assertThat(p.getJsonArray("targets")).as(p.getString("title")).isNotEmpty())
        .flatMap(p -> p.getJsonArray("targets").stream().map(JsonObject.class::cast))
        .peek(t -> assertThat(t.getString("expr")).isNotBlank())
        .count();
    assertThat(queries).isGreaterThan(20);
    String text = d.encode();
    assertThat(text).contains("burnroom_rooms_active", "burnroom_members_connected", "burnroom_messages_relayed_total",
        "burnroom_burn_lateness_seconds_bucket", "vertx_eventbus_pending", "vertx_http_server_active_ws_connections",
        "jvm_memory_used_bytes");
  }

  /** promtool unit tests for deploy/alerts.yml: one healthy instance, and one situation per alert. */
  private static final String RULE_TESTS = """
      rule_files:
        - RULES
      evaluation_interval: 15s
      tests:
        - interval: 15s
          input_series:
            - series: 'up{job="burnroom",instance="127.0.0.1:9091"}'
              values: '1x40'
            - series: 'up{job="burnroom",instance="127.0.0.1:9092"}'
              values: '1 1 1 1 0x36'
            - series: 'burnroom_burn_lateness_seconds_bucket{job="burnroom",instance="127.0.0.1:9091",le="1.0"}'
              values: '0+10x80'
            - series: 'burnroom_burn_lateness_seconds_bucket{job="burnroom",instance="127.0.0.1:9091",le="2.5"}'
              values: '0+20x80'
            - series: 'burnroom_burn_lateness_seconds_bucket{job="burnroom",instance="127.0.0.1:9091",le="+Inf"}'
              values: '0+20x80'
            - series: 'vertx_eventbus_pending{job="burnroom",instance="127.0.0.1:9091",side="local"}'
              values: '0+100x80'
            - series: 'vertx_eventbus_pending{job="burnroom",instance="127.0.0.1:9092",side="local"}'
              values: '5x80'
            - series: 'burnroom_pin_lockouts_total{job="burnroom",instance="127.0.0.1:9091"}'
              values: '0x10 0+2x20'
          alert_rule_test:
            - eval_time: 30s
              alertname: BurnroomNodeDown
              exp_alerts: []
            - eval_time: 2m
              alertname: BurnroomNodeDown
              exp_alerts:
                - exp_labels: {severity: page, job: burnroom, instance: "127.0.0.1:9092"}
                  exp_annotations:
                    summary: "Burnroom node 127.0.0.1:9092 is down"
                    description: "The management port has not answered scrapes for 1 minute. Its rooms should have moved to surviving nodes (see burnroom_failovers_total)."
            - eval_time: 2m
              alertname: BurnroomBurnLate
              exp_alerts: []
            - eval_time: 16m
              alertname: BurnroomBurnLate
              exp_alerts:
                - exp_labels: {severity: page}
                  exp_annotations:
                    summary: "Rooms burn late: p99 burn lateness above 1 s"
                    description: "p99 of actual burn time minus expiresAt has been above 1 s for 5 minutes."
            - eval_time: 2m
              alertname: BurnroomEventBusBacklogGrowing
              exp_alerts: []
            - eval_time: 16m
              alertname: BurnroomEventBusBacklogGrowing
              exp_alerts:
                - exp_labels: {severity: warn, instance: "127.0.0.1:9091"}
                  exp_annotations:
                    summary: "Event-bus backlog growing on 127.0.0.1:9091"
                    description: "More than 1000 event-bus messages pending and still growing for 5 minutes."
            - eval_time: 2m
              alertname: BurnroomPinLockoutSpike
              exp_alerts: []
            - eval_time: 7m
              alertname: BurnroomPinLockoutSpike
              exp_alerts:
                - exp_labels: {severity: warn}
                  exp_annotations:
                    summary: "PIN lockout spike"
                    description: "More than 10 admin attempts were answered with a PIN lockout in the last 10 minutes."
      """;
}
