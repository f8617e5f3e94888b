package io.burnroom.browser;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/** One Chromium with its own profile (made and removed by chromedriver) and its captured frames and requests. */
public final class Chromium {
  static final String CHROMEDRIVER = "/usr/bin/chromedriver";
  static final String CHROMIUM = "/usr/bin/chromium";
  static final Duration WAIT = Duration.ofSeconds(15);

  final String who;
  final String origin;
  final ChromeDriver driver;
  final List<String> framePayloads = new ArrayList<>();
  final List<String> requestUrls = new ArrayList<>();
  final List<String> console = new ArrayList<>();
  final WebDriverWait wait;

  Chromium(String who, String origin, int width, int height) {
    this.who = who;
    this.origin = origin;
    ChromeOptions o = new ChromeOptions().setBinary(CHROMIUM).addArguments("--headless=new", "--no-sandbox",
        "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--window-size=" + width + "," + height, "--lang=en-US");
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.PERFORMANCE, Level.ALL);
    logs.enable(LogType.BROWSER, Level.ALL);
    o.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new java.io.File(CHROMEDRIVER)).usingAnyFreePort().build();
    driver = new ChromeDriver(service, o);
    driver.manage().window().setSize(new Dimension(width, height));
    wait = new WebDriverWait(driver, WAIT);
  }

  /** Drains the performance log: WebSocket frames both ways, and every URL the page requested. */
  void collect() {
    for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
      console.add(e.getLevel() + " " + e.getMessage());
    }
    for (LogEntry e : driver.manage().logs().get(LogType.PERFORMANCE)) {
      JsonObject m = new JsonObject(e.getMessage()).getJsonObject("message");
      String method = m.getString("method");
      JsonObject params = m.getJsonObject("params");
      if ("Network.webSocketFrameSent".equals(method) || "Network.webSocketFrameReceived".equals(method)) {
        framePayloads.add(params.getJsonObject("response").getString("payloadData"));
      } else if ("Network.requestWillBeSent".equals(method)) {
        requestUrls.add(params.getJsonObject("request").getString("url"));
      } else if ("Network.webSocketCreated".equals(method)) {
        requestUrls.add(params.getString("url"));
      }
    }
  }

  WebElement byTest(String id) {
    return wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid='" + id + "']")));
  }

  List<WebElement> allByTest(String id) {
    return driver.findElements(By.cssSelector("[data-testid='" + id + "']"));
  }

  Object js(String script, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(script, args);
  }

  void join(String name) {
    byTest("display-name").sendKeys(name);
    byTest("join").click();
    wait.until(d -> byTest("safety-code").getText().length() > 0);
    wait.until(d -> byTest("message-input").isEnabled());
    wait.until(d -> byTest("countdown").getText().matches("[0-9:]+"));
  }

  void say(String text) {
    WebElement input = byTest("message-input");
    input.sendKeys(text, Keys.ENTER); // keyboard only: Enter sends
    wait.until(d -> messageTexts().contains(text));
    assertThat(input.getAttribute("value")).isEmpty();
  }

  List<String> messageTexts() {
    return allByTest("message").stream().map(el -> el.findElement(By.cssSelector(".text")).getText()).toList();
  }

  void waitForMessage(String text) {
    wait.until(d -> messageTexts().contains(text));
  }

  List<String> verifiedMembers() {
    return allByTest("member").stream().filter(el -> "true".equals(el.getAttribute("data-verified")))
        .map(WebElement::getText).toList();
  }

  String safety() {
    return byTest("safety-code").getText();
  }

  void screenshot(String name) {
    String docs = System.getProperty("burnroom.docs");
    if (docs == null) {
      return;
    }
    try {
      Path dir = Path.of(docs, "screenshots");
      Files.createDirectories(dir);
      Files.write(dir.resolve(name + ".png"), driver.getScreenshotAs(OutputType.BYTES));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  void quit() {
    driver.quit();
  }

  /** A countdown's text ("mm:ss" or "h:mm:ss") in seconds. */
  static int seconds(String countdown) {
    int s = 0;
    for (String part : countdown.trim().split(":")) {
      s = s * 60 + Integer.parseInt(part);
    }
    return s;
  }

  /** Closes every browser a test started, skipping the ones that never started. */
  static void quitAll(Chromium... browsers) {
    for (Chromium x : browsers) {
      if (x != null) {
        x.quit();
      }
    }
  }
}
