package io.burnroom.browser;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.support.TestNodes;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

/**
 * The client in real life (issue 27), in real Chromium against a real node: the creator's onboarding survives a
 * reload, leaving asks first, every refusal has its own screen, a gap past the resume grace is said, the compared
 * mark resets, background tabs count what they missed, and replies and reactions travel encrypted.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DisplayName("The browser client for real life")
class ClientLifeIT {
  private final String tag = UUID.randomUUID().toString().substring(0, 8);
  private TestNodes nodes;
  private String base;
  private DropProxy proxy;
  private Chromium a;
  private Chromium b;
  private Chromium c;
  private Chromium d;
  private String pin;
  private String invite;
  private String roomId;

  @BeforeAll
  void start() throws IOException {
    System.setProperty("webdriver.chrome.driver", Chromium.CHROMEDRIVER);
    nodes = new TestNodes();
    BurnroomNode node = nodes.embedded(Map.of("BURNROOM_RESUME_GRACE_MS", "1500", "BURNROOM_MAX_MEMBERS_PER_ROOM", "3"));
    base = "http://127.0.0.1:" + node.httpPort();
    proxy = new DropProxy(node.httpPort());
    a = new Chromium("alice", base, 1280, 800);
    b = new Chromium("bob", "http://127.0.0.1:" + proxy.port(), 1100, 800);
    c = new Chromium("carol", base, 375, 667);
    d = new Chromium("dana", base, 1000, 800);
  }

  @AfterAll
  void stop() {
    Chromium.quitAll(a, b, c, d);
    if (proxy != null) {
      proxy.close();
    }
    if (nodes != null) {
      nodes.close();
    }
  }

  private static void join(Chromium x, String name) {
    WebElement field = x.byTest("display-name");
    assertThat(field.getAttribute("value")).as("a made-up default name").matches("[A-Z][a-z]+ [A-Z][a-z]+ \\d{2}");
    field.clear();
    x.join(name);
  }

  private static int seconds(String countdown) {
    return Chromium.seconds(countdown);
  }

  private static String closedScreen(Chromium x) {
    x.wait.until(d -> d.findElement(By.id("screen-closed")).isDisplayed());
    return x.driver.findElement(By.id("screen-closed")).getAttribute("data-testid");
  }

  @Test
  @Order(1)
  @DisplayName("onboarding shows link, QR and PIN; after a reload the creator pastes the creator link and still rules")
  void onboardingSurvivesReload() {
    a.driver.get(base + "/");
    new Select(a.byTest("ttl-select")).selectByValue("custom");
    a.byTest("ttl-custom").clear();
    a.byTest("ttl-custom").sendKeys("30");
    a.byTest("create-room").click();
    pin = a.byTest("invite-pin").getText();
    assertThat(pin).matches("[A-Z2-9]{8}");
    invite = a.byTest("onboard-link").getAttribute("value");
    assertThat(invite).matches("http://127\\.0\\.0\\.1:\\d+/r/[A-Za-z0-9_-]{22}#[A-Za-z0-9_-]{43}");
    roomId = invite.replaceAll(".*/r/([^#]+)#.*", "$1");
    String creatorLink = a.byTest("onboard-creator-link").getAttribute("value");
    assertThat(creatorLink).startsWith(invite + ".");
    assertThat(a.byTest("onboard-qr").findElements(By.cssSelector("img, canvas"))).isNotEmpty();
    assertThat(a.byTest("copy-pin").isDisplayed()).isTrue();
    a.byTest("pin-saved").click();
    a.wait.until(d -> !d.findElement(By.id("pin-once")).isDisplayed());
    assertThat(a.driver.getPageSource()).as("'I saved it' takes the PIN off the page").doesNotContain(pin);

    a.driver.navigate().refresh();
    assertThat(a.byTest("rejoin-notice").getText()).contains("removes it from the address bar on purpose");
    a.byTest("paste-link").sendKeys(creatorLink, Keys.ENTER);
    join(a, "Alice " + tag);
    assertThat(a.driver.getCurrentUrl()).as("the pasted link never became an address").isEqualTo(base + "/r/" + roomId);
    assertThat(a.byTest("share-link").getAttribute("value")).isEqualTo(invite);
    a.byTest("pin-input").sendKeys(pin, Keys.ENTER);
    a.byTest("extend-5");

    b.driver.get(invite.replace(base, b.origin));
    join(b, "Bob " + tag);
    a.wait.until(x -> a.verifiedMembers().size() == 2);
    int before = seconds(b.byTest("countdown").getText());
    assertThat(before).isBetween(29 * 60, 30 * 60);
    a.byTest("extend-5").click();
    b.wait.until(x -> seconds(b.byTest("countdown").getText()) > before + 240);
    a.wait.until(x -> seconds(a.byTest("countdown").getText()) > before + 240);
    assertThat(b.allByTest("integrity-warning")).as("the extension was signed by the reloaded creator").isEmpty();
  }

  @Test
  @Order(2)
  @DisplayName("in a room the page asks before closing; Leave closes cleanly and says so")
  void beforeUnloadAndLeave() {
    assertThat(a.js("return typeof window.onbeforeunload")).isEqualTo("function");
    assertThat(b.js("return typeof window.onbeforeunload")).isEqualTo("function");
    b.byTest("leave").click();
    assertThat(closedScreen(b)).isEqualTo("closed-left");
    assertThat(b.js("return window.onbeforeunload")).isNull();
    a.wait.until(x -> a.verifiedMembers().size() == 1);
  }

  @Test
  @Order(3)
  @DisplayName("a tab in the background counts unread messages in its title, and forgets them when looked at")
  void unreadInTitle() {
    b.driver.get(invite.replace(base, b.origin));
    join(b, "Bob " + tag);
    a.js("Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});"
        + "document.dispatchEvent(new Event('visibilitychange'));");
    b.say("one " + tag);
    b.say("two " + tag);
    a.wait.until(x -> "(2) Burnroom".equals(a.driver.getTitle()));
    a.js("Object.defineProperty(document, 'hidden', {configurable: true, get: () => false});"
        + "document.dispatchEvent(new Event('visibilitychange'));");
    a.wait.until(x -> "Burnroom".equals(a.driver.getTitle()));
  }

  @Test
  @Order(4)
  @DisplayName("'we compared the safety code' marks members compared, and resets visibly when someone joins")
  void comparedMarkResets() {
    a.byTest("mark-compared").click();
    a.wait.until(x -> a.allByTest("member-trust").stream().allMatch(el -> el.getText().equals("compared")));
    c.driver.get(invite);
    join(c, "Carol " + tag);
    a.wait.until(x -> a.verifiedMembers().size() == 3);
    a.wait.until(x -> a.allByTest("member-trust").stream().allMatch(el -> el.getText().equals("has the link")));
    assertThat(a.driver.findElement(By.id("compared-state")).getText()).contains("changed");
  }

  @Test
  @Order(5)
  @DisplayName("a reply and a reaction reach the other two screens, and no frame carries their text")
  void replyAndReaction() {
    String question = "Lunch at one " + tag;
    String answer = "Yes, the usual place " + tag;
    a.say(question);
    b.waitForMessage(question);
    WebElement msg = b.allByTest("message").stream().filter(el -> el.getText().contains(question)).findFirst().orElseThrow();
    msg.findElement(By.cssSelector("[data-testid='reply']")).click();
    b.say(answer);
    msg.findElement(By.cssSelector("[data-testid='react']")).click();
    msg.findElement(By.cssSelector("[data-testid='react-choice']")).click();
    for (Chromium x : List.of(a, c)) {
      x.waitForMessage(answer);
      x.wait.until(dr -> x.allByTest("quote").stream().anyMatch(q -> q.getText().contains(question)));
      x.wait.until(dr -> x.allByTest("reaction").stream().anyMatch(r -> r.getText().equals("👍 1")));
    }
    for (Chromium x : List.of(a, b, c)) {
      x.collect();
      for (String payload : x.framePayloads) {
        assertThat(payload).doesNotContain("usual place").doesNotContain("Lunch at");
      }
    }
  }

  @Test
  @Order(6)
  @DisplayName("each refusal has its own screen: full, locked, kicked, old link, PIN lockout, not found")
  void refusalScreens() {
    d.driver.get(invite);
    join2(d);
    assertThat(closedScreen(d)).isEqualTo("closed-full");

    WebElement carol = a.allByTest("member").stream().filter(el -> el.getText().contains("Carol")).findFirst().orElseThrow();
    carol.findElement(By.cssSelector("[data-testid='kick']")).click();
    assertThat(closedScreen(c)).isEqualTo("closed-kicked");
    a.wait.until(x -> !a.byTest("share-link").getAttribute("value").equals(invite));
    String rotated = a.byTest("share-link").getAttribute("value");
    c.driver.get(invite);
    join2(c);
    assertThat(closedScreen(c)).isEqualTo("closed-link-rotated");

    a.byTest("lock").click();
    a.wait.until(x -> x.findElement(By.id("locked-badge")).isDisplayed());
    d.driver.get(rotated);
    join2(d);
    assertThat(closedScreen(d)).isEqualTo("closed-locked");
    a.byTest("unlock").click();
    a.wait.until(x -> !x.findElement(By.id("locked-badge")).isDisplayed());

    d.driver.get(rotated);
    join2(d);
    for (int i = 0; i < 3; i++) {
      d.byTest("pin-input").sendKeys("WRONG23" + i, Keys.ENTER);
      d.byTest("lock").click(); // the server checks a PIN only with an operation
      if (i < 2) {
        d.wait.until(x -> x.findElement(By.id("status")).getText().contains("wrong"));
        d.js("document.getElementById('status').textContent = ''");
      }
    }
    assertThat(closedScreen(d)).isEqualTo("closed-lockout");

    d.driver.get(base + "/r/AAAAAAAAAAAAAAAAAAAAAA#" + rotated.substring(rotated.indexOf('#') + 1));
    d.byTest("not-found");
  }

  private void join2(Chromium x) {
    WebElement field = x.byTest("display-name");
    field.clear();
    field.sendKeys("Dana " + tag);
    x.byTest("join").click();
  }

  @Test
  @Order(7)
  @DisplayName("a phone asleep past the resume grace comes back as a new member and is told what it may have missed")
  void awayNotice() throws IOException {
    proxy.cut();
    List<String> said = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      said.add("while you slept " + i + " " + tag);
      a.say(said.get(i));
    }
    // Longer than the 1.5 s grace plus the room's next 10 s tick, which is when a seat's grace is checked.
    sleep(12_000);
    proxy.restore();
    WebElement notice = new org.openqa.selenium.support.ui.WebDriverWait(b.driver, java.time.Duration.ofSeconds(30))
        .until(org.openqa.selenium.support.ui.ExpectedConditions.visibilityOfElementLocated(
            By.cssSelector("[data-testid='away-notice']")));
    assertThat(notice.getText()).contains("may be missing");
    b.wait.until(x -> b.verifiedMembers().size() == 2);
    a.wait.until(x -> a.verifiedMembers().size() == 2);
    assertThat(a.allByTest("integrity-warning")).as("Bob came back with new keys, not with tombstoned ones")
        .noneMatch(w -> w.getText().contains("earlier"));
  }

  @Test
  @Order(8)
  @DisplayName("one minute before the burn a clear warning shows")
  void minuteWarning() {
    d.driver.get(base + "/");
    new Select(d.byTest("ttl-select")).selectByValue("custom");
    d.byTest("ttl-custom").clear();
    d.byTest("ttl-custom").sendKeys("1");
    d.byTest("create-room").click();
    join(d, "Dana " + tag);
    assertThat(d.byTest("minute-warning").getText()).contains("One minute left");
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
