package io.burnroom.browser;

import static io.burnroom.browser.FrameEditingProxy.CLOSE;
import static io.burnroom.browser.FrameEditingProxy.drop;
import static io.burnroom.browser.FrameEditingProxy.edit;
import static io.burnroom.browser.FrameEditingProxy.nth;
import static io.burnroom.browser.FrameEditingProxy.toClient;
import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.browser.FrameEditingProxy.Dir;
import io.burnroom.browser.FrameEditingProxy.Frame;
import io.burnroom.browser.FrameEditingProxy.Rule;
import io.burnroom.support.NodeProcess;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The browser client against a hostile server (issue 26): real Chromium sessions talk to a real node process through
 * {@link FrameEditingProxy}, which replays, drops, reorders, splits a kick, withholds the burn and injects error
 * text. Each test opens its own room through the UI; browsers, node and proxy are shared by the class.
 *
 * <p>What the client must show: an {@code integrity-warning} line in the message list that names who and what, every
 * message at most once and in its sender's order, a local burn at the signed expiry, and only its own words.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("The browser client against a hostile server")
class HostileServerIT {
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final String EVIL = "re-enter your link at https://evil.example";

  private final String tag = UUID.randomUUID().toString().substring(0, 6);
  private final String alice = "Alice " + tag;
  private final String bob = "Bob " + tag;
  private final String kim = "Kim " + tag;

  private NodeProcess node;
  private FrameEditingProxy proxy;
  private Page a;
  private Page b;
  private Page k;
  /** Where the current test's frames begin in the proxy's log. */
  private int logStart;

  /** On a failure, the proxy's frame log says what the server side did. */
  @RegisterExtension
  final TestWatcher printLog = new TestWatcher() {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      System.err.println("---- proxy log of " + context.getDisplayName() + " ----\n" + proxy.describe(logStart));
    }
  };

  /** One Chromium (own profile) that reaches the node through its own listener of the proxy. */
  private static final class Page {
    final String label;
    final String origin;
    final ChromeDriver driver;
    final WebDriverWait wait;

    Page(String label, String origin) {
      this.label = label;
      this.origin = origin;
      ChromeOptions o = new ChromeOptions().setBinary("/usr/bin/chromium").addArguments("--headless=new",
          "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
          "--disable-component-update", "--no-first-run", "--window-size=1100,900", "--lang=en-US");
      driver = new ChromeDriver(new ChromeDriverService.Builder()
          .usingDriverExecutable(new java.io.File("/usr/bin/chromedriver")).usingAnyFreePort().build(), o);
      wait = new WebDriverWait(driver, WAIT);
    }

    WebElement el(String testId) {
      return wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid='" + testId + "']")));
    }

    @SuppressWarnings("unchecked")
    List<String> texts(String selector) {
      return (List<String>) ((JavascriptExecutor) driver).executeScript(
          "return [...document.querySelectorAll(arguments[0])].map(e => e.innerText)", selector);
    }

    /** Every rendered message's text, in screen order. */
    List<String> messages() {
      return texts("#messages [data-testid='message']");
    }

    List<String> warnings() {
      return texts("#messages [data-testid='integrity-warning']");
    }

    long count(String text) {
      return messages().stream().filter(m -> m.contains(text)).count();
    }

    int indexOf(String text) {
      List<String> all = messages();
      for (int i = 0; i < all.size(); i++) {
        if (all.get(i).contains(text)) {
          return i;
        }
      }
      return -1;
    }

    /** The whole page's visible text without the countdown, which changes by itself. */
    String visibleText() {
      return (String) ((JavascriptExecutor) driver).executeScript(
          "const c = document.querySelector(\"[data-testid='countdown']\");"
              + "const t = document.body.innerText; return c && c.innerText ? t.split(c.innerText).join('') : t;");
    }

    void join(String name) {
      el("display-name").sendKeys(name);
      el("join").click();
      wait.until(d -> !el("safety-code").getText().isBlank() && el("message-input").isEnabled());
    }

    void say(String text) {
      el("message-input").sendKeys(text, Keys.ENTER);
      wait.until(d -> count(text) == 1);
    }
  }

  @BeforeAll
  void start() {
    System.setProperty("webdriver.chrome.driver", "/usr/bin/chromedriver");
    node = NodeProcess.startEmbedded();
    proxy = new FrameEditingProxy(node.httpPort());
    a = new Page("alice", proxy.listen("alice"));
    b = new Page("bob", proxy.listen("bob"));
    k = new Page("kim", proxy.listen("kim"));
  }

  @BeforeEach
  void markLog() {
    logStart = proxy.log().size();
  }

  @AfterEach
  void clearRules() {
    proxy.clearRules();
  }

  @AfterAll
  void stop() {
    for (Page p : new Page[] {a, b, k}) {
      if (p != null) {
        p.driver.quit();
      }
    }
    if (proxy != null) {
      proxy.close();
    }
    if (node != null) {
      node.close();
    }
  }

  // ---- the attacks ----

  @Test
  @DisplayName("replay: a roster bounce and Alice's frames sent again show her message at most once, and warn")
  void replay() {
    openRoom(300, b);
    String money = "transfer 100 EUR to Mallory " + tag;
    say(a, money, b);
    String aliceId = proxy.memberId("alice");
    // Issue 26, attack 1: Alice "leaves" and "comes back" in a joined nobody asked for, then everything she sent
    // Bob (key bundles and the message) arrives again, each with a fresh seq.
    JsonObject joined = proxy.passed("bob", Dir.TO_CLIENT).stream().filter(f -> "joined".equals(f.getString("type")))
        .reduce((x, y) -> y).orElseThrow();
    JsonArray without = new JsonArray(joined.getJsonArray("members").stream()
        .filter(m -> !aliceId.equals(((JsonObject) m).getString("memberId"))).toList());
    List<JsonObject> fromAlice = proxy.passed("bob", Dir.TO_CLIENT).stream()
        .filter(f -> "msg".equals(f.getString("type")) && aliceId.equals(f.getString("from"))).toList();
    assertThat(fromAlice).as("what Alice sent Bob").isNotEmpty();
    proxy.inject("bob", joined.copy().put("members", without));
    proxy.inject("bob", joined);
    fromAlice.forEach(f -> proxy.inject("bob", f));

    SoftAssertions soft = new SoftAssertions();
    within(3_000, () -> b.count(money) > 1);
    soft.assertThat(b.count(money)).as("the replayed text on Bob's screen").isEqualTo(1);
    warns(soft, b, alice, 5_000);
    soft.assertAll();
  }

  @Test
  @DisplayName("drop: a message of Alice's that never reaches Bob is warned, naming Alice")
  void dropWarns() {
    openRoom(300, b);
    String aliceId = proxy.memberId("alice");
    say(a, "first of three " + tag, b);
    Rule dropSecond = proxy.add("drop Alice's next text to Bob",
        nth(1, toClient("bob", "msg").and(textFrom(aliceId))), drop());
    a.say("second of three " + tag);
    proxy.awaitFired(dropSecond, 1, 10_000);
    say(a, "third of three " + tag, b);

    SoftAssertions soft = new SoftAssertions();
    soft.assertThat(b.count("second of three " + tag)).as("the dropped message is not on Bob's screen").isZero();
    warns(soft, b, alice, 10_000);
    soft.assertAll();
  }

  @Test
  @DisplayName("reorder: two of Alice's messages swapped by the server still show in Alice's order")
  void reorderKeepsSenderOrder() {
    openRoom(300, b);
    String aliceId = proxy.memberId("alice");
    say(a, "one " + tag, b);
    Rule swap = proxy.add("swap Alice's next two texts to Bob", toClient("bob", "msg").and(textFrom(aliceId)),
        FrameEditingProxy.swapWithNext(), 2);
    a.say("two " + tag);
    say(a, "three " + tag, b);
    proxy.awaitFired(swap, 2, 10_000);
    b.wait.until(d -> b.count("two " + tag) == 1);

    SoftAssertions soft = new SoftAssertions();
    soft.assertThat(List.of(b.indexOf("one " + tag), b.indexOf("two " + tag), b.indexOf("three " + tag)))
        .as("screen positions of one, two, three on Bob's screen: %s", b.messages()).isSorted();
    warns(soft, b, alice, 5_000);
    soft.assertAll();
  }

  @Test
  @DisplayName("split kick: only the creator learns that Kim was removed; Bob is warned and Kim reads nothing new")
  void splitKick() {
    openRoom(300, b, k);
    String kimId = proxy.memberId("kim");
    String bobId = proxy.memberId("bob");
    say(a, "all three here " + tag, b, k);
    // The server tells only Alice: Bob never hears of the kick, Kim keeps her socket and gets all Bob sends.
    Rule hidden = proxy.add("no member_left about Kim to Bob",
        toClient("bob", "member_left").and(f -> kimId.equals(f.json().getString("memberId"))), drop());
    proxy.add("Kim hears nothing of her kick", toClient("kim", "member_left").or(toClient("kim", CLOSE)), drop());
    proxy.add("Bob's messages reach Kim too", toClient("alice", "msg").and(f -> bobId.equals(f.json().getString("from"))),
        f -> {
          proxy.injectFromRule(proxy.conn("kim"), f.json());
          return List.of(f.json());
        });
    WebElement kimEntry = a.driver.findElements(By.cssSelector("[data-testid='member']")).stream()
        .filter(el -> el.getText().contains(kim)).findFirst().orElseThrow();
    kimEntry.findElement(By.cssSelector("[data-testid='kick']")).click();
    proxy.awaitFired(hidden, 1, 10_000);
    say(a, "Kim is out " + tag, b);

    SoftAssertions soft = new SoftAssertions();
    warns(soft, b, kim, 10_000);
    String afterKick = "Bob after the kick " + tag;
    say(b, afterKick, a);
    String textId = proxy.arrived("bob", Dir.TO_SERVER).stream().filter(f -> "msg".equals(f.getString("type"))
        && "m".equals(envelopeKind(f.getString("body")))).reduce((x, y) -> y).orElseThrow().getString("id");
    assertThat(proxy.passed("kim", Dir.TO_CLIENT)).as("the server handed Kim Bob's message")
        .anyMatch(f -> textId.equals(f.getString("id")) && bobId.equals(f.getString("from")));
    within(3_000, () -> k.count(afterKick) > 0);
    soft.assertThat(k.count(afterKick)).as("Bob's message after the kick on Kim's screen").isZero();
    soft.assertAll();
  }

  @Test
  @DisplayName("no burned, no close, lying ticks: every screen still burns within 1 s of the signed expiry")
  void burnsWithoutTheServer() {
    // In place before the room exists, so that no frame of it slips through, however slow the joins are.
    for (String who : List.of("alice", "bob", "kim")) {
      proxy.add("no burned to " + who, toClient(who, "burned").or(toClient(who, CLOSE)), drop());
    }
    proxy.add("Alice's ticks: an hour more", toClient("alice", "tick"), edit(f -> f
        .put("expiresAt", f.getLong("serverTime") + 3_600_000L).put("remainingMs", 3_600_000L)));
    Rule soon = proxy.add("Bob's ticks: soon", toClient("bob", "tick"), edit(f -> f.put("expiresAt", "soon")));
    openRoom(14, b, k);
    long expiresAt = proxy.http().stream().filter(h -> h.method().equals("POST") && h.status() == 201)
        .reduce((x, y) -> y).map(h -> new JsonObject(h.body()).getLong("expiresAt")).orElseThrow();
    proxy.awaitFired(soon, 1, 5_000);
    List<String> seats = List.of(proxy.memberId("alice"), proxy.memberId("bob"), proxy.memberId("kim"));

    SoftAssertions soft = new SoftAssertions();
    for (Page p : List.of(a, b, k)) {
      long left = expiresAt + 3_000 - System.currentTimeMillis();
      boolean burned = within(Math.max(left, 0), () -> !p.driver.findElements(By.cssSelector("[data-testid='burned']:not([hidden])")).isEmpty());
      soft.assertThat(burned).as(p.label + " burned by expiresAt + 3 s").isTrue();
      if (burned) {
        long at = Long.parseLong(p.driver.findElement(By.cssSelector("[data-testid='burned']")).getAttribute("data-burned-at"));
        System.out.printf("HostileServerIT: %s burned %+d ms from the signed expiry%n", p.label, at - expiresAt);
        soft.assertThat(at - expiresAt).as(p.label + ": burn relative to the signed expiry (ms)").isBetween(-300L, 1_000L);
      }
    }
    soft.assertThat(proxy.log().stream().filter(l -> l.memberId() != null && seats.contains(l.memberId()) && l.dir() == Dir.TO_CLIENT)
            .flatMap(l -> l.passed().stream()).map(f -> f.getString("type")))
        .as("what the browsers got from the server").isNotEmpty().doesNotContain("burned", CLOSE);
    soft.assertAll();
  }

  @Test
  @DisplayName("error text from the server never reaches the screen; the client says it in its own words")
  void serverErrorTextNeverShown() {
    openRoom(300, b);
    SoftAssertions soft = new SoftAssertions();
    for (String code : List.of("relink_required", "wrong_pin", "internal_error")) {
      String before = b.visibleText();
      proxy.inject("bob", new JsonObject().put("type", "error").put("code", code).put("message", EVIL));
      boolean shown = within(2_000, () -> b.visibleText().contains("evil.example"));
      soft.assertThat(shown).as("'%s' with the server's text on Bob's screen: %s", code, b.visibleText()).isFalse();
      soft.assertThat(within(2_000, () -> !b.visibleText().equals(before)))
          .as("Bob's screen says something of its own for '%s'", code).isTrue();
    }
    soft.assertAll();
  }

  @Test
  @DisplayName("error text in an API answer never reaches the screen either")
  void apiErrorTextNeverShown() {
    SoftAssertions soft = new SoftAssertions();
    for (String code : List.of("node_full", "relink_required")) {
      proxy.clearRules();
      proxy.answer(req -> req.path().equals("/api/rooms"), 503,
          new JsonObject().put("error", new JsonObject().put("code", code).put("message", EVIL)));
      a.driver.get(a.origin + "/");
      String before = a.visibleText();
      a.el("create-room").click();
      boolean shown = within(2_000, () -> a.visibleText().contains("evil.example"));
      soft.assertThat(shown).as("'%s' with the server's text on the home screen: %s", code, a.visibleText()).isFalse();
      soft.assertThat(within(2_000, () -> !a.visibleText().equals(before)))
          .as("the home screen says something of its own for '%s'", code).isTrue();
    }
    soft.assertAll();
  }

  // ---- helpers ----

  /**
   * Alice opens a room of {@code ttlSeconds} from the home page (an option the lifetime list lacks is added to it,
   * as a node with a 1-second minimum allows), joins, and the {@code others} join with the invite link through their
   * own listeners. Returns the link.
   */
  private String openRoom(int ttlSeconds, Page... others) {
    a.driver.get(a.origin + "/");
    ((JavascriptExecutor) a.driver).executeScript("const s = arguments[0], v = String(arguments[1]);"
        + "if (![...s.options].some(o => o.value === v)) s.add(new Option(v + ' s', v)); s.value = v;",
        a.el("ttl-select"), ttlSeconds);
    a.el("create-room").click();
    a.join(alice);
    a.wait.until(d -> a.el("share-link").getAttribute("value").contains("#"));
    String link = a.el("share-link").getAttribute("value");
    String[] names = {bob, kim};
    for (int i = 0; i < others.length; i++) {
      Page p = others[i];
      p.driver.get(link.replace(a.origin, p.origin));
      p.join(p == b ? names[0] : names[1]);
    }
    int members = others.length + 1;
    for (Page p : concat(a, others)) {
      p.wait.until(d -> p.driver.findElements(By.cssSelector("[data-testid='member'][data-verified='true']")).size() == members);
    }
    return link;
  }

  private static List<Page> concat(Page first, Page... rest) {
    List<Page> all = new ArrayList<>(List.of(first));
    all.addAll(List.of(rest));
    return all;
  }

  private static void say(Page from, String text, Page... to) {
    from.say(text);
    for (Page p : to) {
      p.wait.until(d -> p.count(text) >= 1);
    }
  }

  /** Within {@code ms}, {@code p} shows an integrity warning that names {@code name}. */
  private static void warns(SoftAssertions soft, Page p, String name, long ms) {
    boolean named = within(ms, () -> p.warnings().stream().anyMatch(w -> w.contains(name)));
    soft.assertThat(named).as("%s's integrity warning naming %s; warnings: %s", p.label, name, p.warnings()).isTrue();
  }

  /** A text message (envelope kind "m") relayed to the room by {@code memberId}: not a key bundle, not direct. */
  private static Predicate<Frame> textFrom(String memberId) {
    return FrameEditingProxy.roomMsgFrom(memberId).and(f -> "m".equals(envelopeKind(f.json().getString("body"))));
  }

  private static String envelopeKind(String body) {
    try {
      return new JsonObject(new String(Base64.getUrlDecoder().decode(body), StandardCharsets.UTF_8)).getString("k");
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Polls {@code condition} until it holds (true) or {@code ms} pass (false). */
  private static boolean within(long ms, BooleanSupplier condition) {
    long deadline = System.currentTimeMillis() + ms;
    while (true) {
      if (condition.getAsBoolean()) {
        return true;
      }
      if (System.currentTimeMillis() >= deadline) {
        return false;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }
}
