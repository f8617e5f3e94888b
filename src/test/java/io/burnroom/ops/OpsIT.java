package io.burnroom.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.metrics.MetricsIT;
import io.burnroom.support.TestNodes;
import io.burnroom.support.WsClient;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A real Chromium opens {@code /ops} on one node of a two-node cluster while members on both nodes talk in rooms
 * that keep being created and burning. The page must show both nodes, and its plots must keep moving.
 */
@DisplayName("The live ops page in a real browser")
class OpsIT {
  private static final String CHROMIUM = "/usr/bin/chromium";
  private static final String CHROMEDRIVER = "/usr/bin/chromedriver";

  private TestNodes nodes;
  private BurnroomNode a;
  private BurnroomNode b;
  private ChromeDriver browser;
  private final AtomicBoolean traffic = new AtomicBoolean(true);
  private final AtomicInteger messagesSent = new AtomicInteger();
  private Thread trafficThread;
  private final List<WsClient> sockets = new ArrayList<>();

  @BeforeEach
  void start() {
    org.junit.jupiter.api.Assumptions.assumeTrue(new File(CHROMIUM).canExecute() && new File(CHROMEDRIVER).canExecute(),
        "Chromium and chromedriver are needed: apt-get install -y chromium chromium-driver");
    nodes = new TestNodes();
    a = nodes.clustered();
    b = nodes.clustered();
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER);
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM).addArguments("--headless=new", "--no-sandbox",
        "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--window-size=1440,1100");
    options.setCapability("goog:loggingPrefs", logs);
    browser = new ChromeDriver(options);
  }

  @AfterEach
  void stop() throws InterruptedException {
    traffic.set(false);
    if (trafficThread != null) {
      trafficThread.join(15_000);
    }
    synchronized (sockets) {
      sockets.forEach(WsClient::close);
    }
    if (browser != null) {
      browser.quit();
    }
    if (nodes != null) {
      nodes.close();
    }
  }

  @Test
  @DisplayName("shows both nodes, and rooms, members and message rate plots update while traffic runs")
  void plotsUpdateWithTraffic() throws Exception {
    browser.get("http://127.0.0.1:" + a.mgmtPort() + "/ops");
    assertThat(browser.getTitle()).contains("Burnroom");
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
    wait.until(d -> "2".equals(body().getAttribute("data-nodes")) && polls() >= 2);
    assertThat(browser.findElements(By.cssSelector("figure.plot canvas"))).hasSize(6);
    String before = canvas("msgRate");

    startTraffic();
    wait.until(d -> latest("rooms") >= 2 && latest("members") >= 2 && latest("msgRate") > 0);
    int pollsThen = polls();
    wait.until(d -> !canvas("msgRate").equals(before) && polls() >= pollsThen + 3);
    assertThat(latest("msgRate")).isPositive();
    // Rooms on both nodes: each node owns the rooms created through it.
    assertThat(browser.findElements(By.cssSelector("#nodes tbody tr"))).hasSize(2);
    String rows = browser.findElement(By.cssSelector("#nodes tbody")).getText();
    assertThat(rows).contains(a.nodeId().substring(0, 8)).contains(b.nodeId().substring(0, 8));
    // Each node's own event bus is plotted (rooms on both nodes, a member of every room on each).
    wait.until(d -> rowsOf("ebRate").size() == 2 && rowsOf("ebRate").stream().allMatch(v -> v > 0));
    // Timer burns happen every few seconds: the lateness plot gets points.
    new WebDriverWait(browser, Duration.ofSeconds(40)).until(d -> latest("lateness") > 0 && polls() >= 15);
    assertThat(messagesSent.get()).isPositive();

    List<LogEntry> problems = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
        .filter(e -> e.getLevel().intValue() >= Level.WARNING.intValue()).toList();
    assertThat(problems).as("browser console (CSP violations, script errors)").isEmpty();

    // target/docs unless -Dburnroom.docs=docs (pom.xml); bytes, not Selenium's temp file
    Path docs = MetricsIT.projectRoot().resolve(System.getProperty("burnroom.docs", "target/docs")).resolve("screenshots");
    Files.createDirectories(docs);
    Files.write(docs.resolve("ops.png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    assertThat(Files.size(docs.resolve("ops.png"))).isGreaterThan(10_000);
  }

  // ---- page probes ----

  private WebElement body() {
    return browser.findElement(By.tagName("body"));
  }

  private int polls() {
    String p = body().getAttribute("data-polls");
    return p == null ? 0 : Integer.parseInt(p);
  }

  private double latest(String metric) {
    String v = browser.findElement(By.cssSelector("figure[data-metric='" + metric + "']")).getAttribute("data-latest");
    return v == null ? 0 : Double.parseDouble(v);
  }

  /** The latest value of one metric for every node, as the page's table shows it. */
  private List<Double> rowsOf(String metric) {
    @SuppressWarnings("unchecked")
    List<Object> values = (List<Object>) ((JavascriptExecutor) browser).executeScript(
        "return window.burnroomOps ? window.burnroomOps.latestPerNode(arguments[0]) : [];", metric);
    return values.stream().map(v -> v == null ? 0.0 : ((Number) v).doubleValue()).toList();
  }

  private String canvas(String metric) {
    return (String) ((JavascriptExecutor) browser).executeScript(
        "return document.querySelector(\"figure[data-metric='" + metric + "'] canvas\").toDataURL();");
  }

  // ---- traffic: rooms on both nodes, a member on each node, messages flowing, rooms burning every few seconds ----

  private void startTraffic() {
    trafficThread = new Thread(this::runTraffic, "ops-traffic");
    trafficThread.setDaemon(true);
    trafficThread.start();
  }

  private void runTraffic() {
    String body = Base64.getEncoder().encodeToString(new byte[600]);
    String profile = Base64.getEncoder().encodeToString("opaque".getBytes());
    int round = 0;
    while (traffic.get()) {
      BurnroomNode owner = round % 2 == 0 ? a : b;
      try {
        JsonObject room = nodes.createRoom(owner, 3 + round % 3);
        WsClient x = nodes.ws(a, room.getString("roomId"));
        WsClient y = nodes.ws(b, room.getString("roomId"));
        synchronized (sockets) {
          sockets.add(x);
          sockets.add(y);
        }
        x.join(profile);
        y.join(profile);
        for (int i = 0; i < 8 && traffic.get(); i++) {
          (i % 2 == 0 ? x : y).msg("r" + round + "m" + i, body);
          messagesSent.incrementAndGet();
          Thread.sleep(60 + (round % 4) * 40L);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException | AssertionError e) {
        // A room may burn mid-round: start the next one.
      }
      round++;
    }
  }
}
