package io.burnroom.browser;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.support.TestNodes;
import java.io.IOException;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;

/**
 * The whole flow with the keyboard alone (issue 27): every control is reached with Tab (and Shift+Tab) from where
 * focus is, and used with Enter; text is typed into whatever has focus. No click anywhere.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("The whole flow with the keyboard alone")
class KeyboardIT {
  private final String tag = UUID.randomUUID().toString().substring(0, 8);
  private TestNodes nodes;
  private String base;
  private Chromium a;
  private Chromium b;
  private Chromium c;

  @BeforeAll
  void start() throws IOException {
    System.setProperty("webdriver.chrome.driver", Chromium.CHROMEDRIVER);
    nodes = new TestNodes();
    BurnroomNode node = nodes.embedded();
    base = "http://127.0.0.1:" + node.httpPort();
    a = new Chromium("alice", base, 1280, 800);
    b = new Chromium("bob", base, 1280, 800);
    c = new Chromium("carol", base, 375, 667);
  }

  @AfterAll
  void stop() {
    Chromium.quitAll(a, b, c);
    if (nodes != null) {
      nodes.close();
    }
  }

  /** Presses Tab until the focused element is the one with this test hook (within `scope`, if given). */
  private static WebElement tabTo(Chromium x, String testid, WebElement scope) {
    for (int i = 0; i < 120; i++) {
      Object hit = x.js("const el = document.activeElement; const s = arguments[1];"
          + "return el && el.getAttribute('data-testid') === arguments[0] && (!s || s.contains(el)) ? el : null;",
          testid, scope);
      if (hit instanceof WebElement el) {
        return el;
      }
      new Actions(x.driver).sendKeys(Keys.TAB).perform();
    }
    throw new AssertionError(x.who + ": Tab never reached " + testid);
  }

  private static void press(Chromium x, String testid) {
    tabTo(x, testid, null);
    new Actions(x.driver).sendKeys(Keys.ENTER).perform();
  }

  private static void type(Chromium x, String text) {
    new Actions(x.driver).sendKeys(text).perform();
  }

  private static void joinByKeyboard(Chromium x, String name) {
    x.byTest("display-name");
    // the name field has focus with the made-up name selected: typing replaces it
    type(x, name + Keys.ENTER);
    x.wait.until(d -> x.byTest("message-input").isEnabled());
  }

  private void say(Chromium x, String text) {
    tabTo(x, "message-input", null);
    type(x, text + Keys.ENTER);
    x.waitForMessage(text);
  }

  private static WebElement messageWith(Chromium x, String text) {
    return x.allByTest("message").stream().filter(el -> el.getText().contains(text)).findFirst().orElseThrow();
  }

  @Test
  @DisplayName("create, share, join from two more browsers, chat, reply, react, kick and burn, all by keyboard")
  void wholeFlowByKeyboard() {
    a.driver.get(base + "/");
    a.byTest("create-room");
    press(a, "create-room");
    joinByKeyboard(a, "Alice " + tag);
    String link = tabTo(a, "share-link", null).getAttribute("value");
    assertThat(link).contains("#");

    for (Chromium x : List.of(b, c)) {
      x.driver.get(link);
      joinByKeyboard(x, (x == b ? "Bob " : "Carol ") + tag);
    }
    a.wait.until(d -> a.verifiedMembers().size() == 3);

    String hello = "Hello by keyboard " + tag;
    say(a, hello);
    b.waitForMessage(hello);
    WebElement msg = messageWith(b, hello);
    tabTo(b, "reply", msg);
    new Actions(b.driver).sendKeys(Keys.ENTER).perform();
    String answer = "Answer by keyboard " + tag;
    type(b, answer + Keys.ENTER); // the reply moved focus to the composer
    b.waitForMessage(answer);
    tabTo(b, "react", messageWith(b, hello));
    new Actions(b.driver).sendKeys(Keys.ENTER).perform(); // opens the picker, focus on its first choice
    new Actions(b.driver).sendKeys(Keys.ENTER).perform();
    for (Chromium x : List.of(a, c)) {
      x.waitForMessage(answer);
      x.wait.until(d -> x.allByTest("quote").stream().anyMatch(q -> q.getText().contains(hello)));
      x.wait.until(d -> x.allByTest("reaction").stream().anyMatch(r -> r.getText().startsWith("👍")));
    }

    WebElement carol = a.allByTest("member").stream().filter(el -> el.getText().contains("Carol")).findFirst().orElseThrow();
    tabTo(a, "kick", carol);
    new Actions(a.driver).sendKeys(Keys.ENTER).perform();
    c.wait.until(d -> "closed-kicked".equals(d.findElement(org.openqa.selenium.By.id("screen-closed")).getAttribute("data-testid")));
    a.wait.until(d -> a.verifiedMembers().size() == 2);

    press(a, "burn-now");
    // the confirm step takes focus itself
    a.wait.until(d -> "confirm-burn".equals(a.js("return document.activeElement.getAttribute('data-testid')")));
    new Actions(a.driver).sendKeys(Keys.ENTER).perform();
    for (Chromium x : List.of(a, b)) {
      x.byTest("burned");
      assertThat(x.allByTest("message")).isEmpty();
    }
  }
}
