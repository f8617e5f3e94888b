package io.burnroom.browser;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.support.TestNodes;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * axe-core (the npm package, installed by .ci/run into /opt/burnroom-axe, never vendored in git) runs inside the
 * real page in Chromium on every screen of the client and on the help page, in the dark and the light theme
 * (prefers-color-scheme emulated through DevTools), at desktop and phone size. No serious or critical violation may
 * be found; at phone width nothing may scroll sideways and every control must be at least 44 px high. Every screen is
 * written as a screenshot to target/docs/screenshots/ (docs/screenshots/ with -Dburnroom.docs=docs).
 *
 * <p>The page's CSP forbids injected script tags; Selenium's executeScript evaluates the axe source in the page
 * context through DevTools, which the CSP does not govern, so the page itself stays unchanged.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("Accessibility in real Chromium: axe-core, both themes, desktop and phone")
class AccessibilityIT {
  private static final String CHROMEDRIVER = "/usr/bin/chromedriver";
  private static final String CHROMIUM = "/usr/bin/chromium";
  private static final Path AXE = Path.of(System.getProperty("burnroom.axe", "/opt/burnroom-axe"),
      "node_modules", "axe-core", "axe.min.js");
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final List<String> THEMES = List.of("dark", "light");
  /** The rules a failure is made of; moderate and minor findings are printed, not failed on. */
  private static final List<String> FAILING = List.of("serious", "critical");

  private TestNodes nodes;
  private BurnroomNode node;
  private String base;
  private String axeSource;
  /** Every finding of every run, printed at the end: screen/theme/size → rule ids with their impact. */
  private final Map<String, List<String>> findings = new LinkedHashMap<>();

  @BeforeAll
  void start() throws IOException {
    assertThat(AXE).as("axe-core is installed (.ci/run: npm install --prefix /opt/burnroom-axe axe-core)").exists();
    axeSource = Files.readString(AXE, StandardCharsets.UTF_8);
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER);
    nodes = new TestNodes();
    node = nodes.embedded();
    base = "http://127.0.0.1:" + node.httpPort();
  }

  @AfterAll
  void stop() {
    findings.forEach((where, rules) -> System.out.println("axe " + where + ": " + (rules.isEmpty() ? "none" : rules)));
    if (nodes != null) {
      nodes.close();
    }
  }

  /** One headless Chromium whose viewport is exactly width × height. */
  private static final class Page {
    final ChromeDriver driver;
    final WebDriverWait wait;

    Page(int width, int height) {
      ChromeOptions o = new ChromeOptions().setBinary(CHROMIUM).addArguments("--headless=new", "--no-sandbox",
          "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update",
          "--disable-sync", "--no-first-run", "--window-size=" + width + "," + height, "--lang=en-US",
          "--hide-scrollbars");
      // a room page asks before it is left (beforeunload); the test leaves on purpose
      o.setUnhandledPromptBehaviour(org.openqa.selenium.UnexpectedAlertBehaviour.ACCEPT);
      ChromeDriverService service = new ChromeDriverService.Builder()
          .usingDriverExecutable(new java.io.File(CHROMEDRIVER)).usingAnyFreePort().build();
      driver = new ChromeDriver(service, o);
      driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(60));
      driver.executeCdpCommand("Emulation.setDeviceMetricsOverride", Map.of("width", width, "height", height,
          "deviceScaleFactor", 1, "mobile", width < 800));
      wait = new WebDriverWait(driver, WAIT);
    }

    WebElement byTest(String id) {
      return wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid='" + id + "']")));
    }

    Object js(String script, Object... args) {
      return driver.executeScript(script, args);
    }

    void theme(String scheme) {
      driver.executeCdpCommand("Emulation.setEmulatedMedia",
          Map.of("features", List.of(Map.of("name", "prefers-color-scheme", "value", scheme))));
      wait.until(d -> Boolean.TRUE.equals(js("return matchMedia('(prefers-color-scheme: " + scheme + ")').matches")));
    }

    void quit() {
      driver.quit();
    }
  }

  @ParameterizedTest(name = "{0}×{1}")
  @CsvSource({"1280, 800", "375, 667"})
  @DisplayName("home, join, room, burned, not-found and help: no serious or critical axe violation in either theme")
  void everyScreen(int width, int height) throws IOException {
    Page p = new Page(width, height);
    Page other = null;
    List<String> failures = new ArrayList<>();
    try {
      p.driver.get(base + "/");
      p.byTest("create-room");
      assertThat(((Number) p.js("return window.innerWidth")).intValue()).as("viewport width").isEqualTo(width);
      check(p, "home", width, height, failures);

      p.byTest("create-room").click();
      p.byTest("display-name");
      check(p, "join", width, height, failures);

      String tag = UUID.randomUUID().toString().substring(0, 6);
      p.byTest("display-name").sendKeys("Alice Amberwood " + tag);
      p.byTest("join").click();
      p.wait.until(d -> p.byTest("safety-code").getText().length() > 0);
      p.wait.until(d -> p.byTest("message-input").isEnabled());
      String link = p.byTest("share-link").getAttribute("value");
      // a second member, so the roster has someone to kick and a key badge to show
      other = new Page(1280, 800);
      other.driver.get(link);
      other.byTest("display-name").sendKeys("Bob Brightwater " + tag);
      other.byTest("join").click();
      Page bob = other;
      bob.wait.until(d -> bob.byTest("message-input").isEnabled());
      p.wait.until(d -> p.driver.findElements(By.cssSelector("[data-testid='member']")).size() == 2);
      p.byTest("message-input").sendKeys("Hello from the accessibility test " + tag, Keys.ENTER);
      bob.byTest("message-input").sendKeys("Loud and clear " + tag, Keys.ENTER);
      p.wait.until(d -> p.driver.findElements(By.cssSelector("[data-testid='message']")).size() >= 2);
      check(p, "room", width, height, failures);

      p.byTest("burn-now").click();
      p.byTest("confirm-burn").click();
      p.byTest("burned");
      check(p, "burned", width, height, failures);

      p.driver.navigate().refresh();
      p.byTest("not-found");
      check(p, "not-found", width, height, failures);

      p.driver.get(base + "/help.html");
      p.byTest("help-page");
      check(p, "help", width, height, failures);
    } finally {
      p.quit();
      if (other != null) {
        other.quit();
      }
    }
    assertThat(failures).as("serious or critical accessibility failures at " + width + "×" + height).isEmpty();
  }

  /** axe in both themes, the phone-width checks, and a screenshot per theme; failures are collected, not thrown. */
  private void check(Page p, String screen, int width, int height, List<String> failures) throws IOException {
    for (String theme : THEMES) {
      p.theme(theme);
      String where = screen + "/" + theme + "/" + width + "x" + height;
      JsonArray violations = axe(p);
      List<String> rules = new ArrayList<>();
      for (int i = 0; i < violations.size(); i++) {
        JsonObject v = violations.getJsonObject(i);
        rules.add(v.getString("id") + "(" + v.getString("impact") + ")");
        if (FAILING.contains(v.getString("impact"))) {
          JsonArray targets = new JsonArray();
          v.getJsonArray("nodes").forEach(n -> targets.add(((JsonObject) n).getValue("target")));
          failures.add(where + ": " + v.getString("id") + " (" + v.getString("impact") + ") " + v.getString("help")
              + " at " + targets.encode());
        }
      }
      findings.put(where, rules);
      screenshot(p, "a11y-" + screen + "-" + width + "x" + height + "-" + theme);
    }
    long scroll = ((Number) p.js("return document.documentElement.scrollWidth")).longValue();
    long client = ((Number) p.js("return document.documentElement.clientWidth")).longValue();
    if (scroll > client) {
      failures.add(screen + "/" + width + "x" + height + ": scrolls sideways (scrollWidth " + scroll + " > clientWidth "
          + client + "), widest: " + p.js(WIDEST));
    }
    Object small = p.js(SMALL_TARGETS);
    if (small != null && !small.toString().isEmpty()) {
      failures.add(screen + "/" + width + "x" + height + ": touch targets under 44 px high: " + small);
    }
  }

  /** The element that sticks out furthest to the right, to name in a failure. */
  private static final String WIDEST = """
      let worst = null, right = 0;
      for (const el of document.querySelectorAll('body *')) {
        const r = el.getBoundingClientRect();
        if (r.right > right) { right = r.right; worst = el; }
      }
      return worst ? worst.outerHTML.slice(0, 120) + ' right=' + right : '';""";

  /** Visible buttons, inputs, selects, text areas and links of the page whose box is under 44 px high. */
  private static final String SMALL_TARGETS = """
      const out = [];
      for (const el of document.querySelectorAll('button, input, select, textarea, a[href]')) {
        if (el.closest('.visually-hidden') || el.classList.contains('skip')) continue;
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
        if (r.height < 44) out.push((el.dataset.testid || el.id || el.textContent.trim().slice(0, 20) || el.tagName)
            + '=' + Math.round(r.height));
      }
      return out.join(', ');""";

  /** Evaluates axe's source in the page (once per document) and runs it; returns its violations. */
  private JsonArray axe(Page p) {
    if (!Boolean.TRUE.equals(p.js("return typeof window.axe === 'object'"))) {
      p.js(axeSource + "\n;return true;");
    }
    Object result = p.driver.executeAsyncScript("""
        const done = arguments[arguments.length - 1];
        window.axe.run(document, {resultTypes: ['violations']})
          .then(r => done(JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary}))})))))
          .catch(e => done(JSON.stringify([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}])));""");
    return new JsonArray(result.toString());
  }

  private static void screenshot(Page p, String name) throws IOException {
    Path dir = projectRoot().resolve(System.getProperty("burnroom.docs", "target/docs")).resolve("screenshots");
    Files.createDirectories(dir);
    Files.write(dir.resolve(name + ".png"), p.driver.getScreenshotAs(OutputType.BYTES));
  }

  private static Path projectRoot() {
    return Path.of(System.getProperty("burnroom.root", "."));
  }
}
