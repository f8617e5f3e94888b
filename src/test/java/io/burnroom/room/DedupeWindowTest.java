package io.burnroom.room;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("De-duplication window")
class DedupeWindowTest {
  @Test
  @DisplayName("remembers the seq of each client id and forgets the oldest beyond its size")
  void boundedMemory() {
    DedupeWindow w = new DedupeWindow(3);
    w.remember("a", 1);
    w.remember("b", 2);
    w.remember("c", 3);
    assertThat(w.seqOf("a")).isEqualTo(1);
    w.remember("d", 4);
    assertThat(w.seqOf("a")).isEqualTo(-1);
    assertThat(w.seqOf("d")).isEqualTo(4);
    assertThat(w.size()).isEqualTo(3);
  }

  @Test
  @DisplayName("survives a snapshot round trip")
  void snapshot() {
    DedupeWindow w = new DedupeWindow(10);
    w.remember("x", 7);
    assertThat(DedupeWindow.fromJson(w.toJson(), 10).seqOf("x")).isEqualTo(7);
  }

  @Test
  @DisplayName("tells apart ids that pack alike in a careless encoding: prefixes, lengths, the 9/18-char seams")
  void exactIds() {
    List<String> ids = List.of("", "a", "aa", "a ", " a", "abcdefghi", "abcdefghij", "abcdefgh", "abcdefghijklmnopqr",
        "abcdefghijklmnopq", "abcdefghijklmnopqrs", "abcdefghijklmnopqrst", "ab\u007f", "ab\u0080", "ab\u0000",
        "é", "e\u0301", "😀", "m1AbCdEfGh", "m1AbCdEfGi", "x".repeat(64));
    DedupeWindow w = new DedupeWindow(DedupeWindow.DEFAULT_SIZE);
    for (int i = 0; i < ids.size(); i++) {
      assertThat(w.seqOf(ids.get(i))).as("before remembering %s", ids.get(i)).isEqualTo(-1);
      w.remember(ids.get(i), 100 + i);
    }
    for (int i = 0; i < ids.size(); i++) {
      assertThat(w.seqOf(ids.get(i))).as(ids.get(i)).isEqualTo(100 + i);
    }
    assertThat(w.toJson().fieldNames()).containsExactlyInAnyOrderElementsOf(ids);
    assertThat(w.seqOf("abcdefghijklmnopqrstu")).isEqualTo(-1);
    assertThat(w.seqOf("b")).isEqualTo(-1);
  }

  @Test
  @DisplayName("agrees with a plain ordered map over 20,000 random ids, evictions and snapshot tails included")
  void agreesWithAMap() {
    Random random = new Random(11);
    for (int size : new int[] {1, 7, 100, DedupeWindow.DEFAULT_SIZE}) {
      DedupeWindow w = new DedupeWindow(size);
      LinkedHashMap<String, Long> model = new LinkedHashMap<>();
      List<String> used = new ArrayList<>();
      for (int n = 0; n < 20_000; n++) {
        String id = random.nextInt(4) == 0 && !used.isEmpty() ? used.get(random.nextInt(used.size())) : randomId(random);
        assertThat(w.seqOf(id)).as("size %d, step %d, id %s", size, n, id).isEqualTo(model.getOrDefault(id, -1L));
        if (!model.containsKey(id)) {
          w.remember(id, n);
          model.put(id, (long) n);
          if (model.size() > size) {
            model.remove(model.keySet().iterator().next());
          }
          used.add(id);
        }
        assertThat(w.size()).isEqualTo(model.size());
      }
      int tail = Math.min(32, model.size());
      Map<String, Object> expected = new LinkedHashMap<>();
      model.entrySet().stream().skip(model.size() - tail).forEach(e -> expected.put(e.getKey(), e.getValue()));
      assertThat(w.toJson(32).getMap()).containsExactlyEntriesOf(expected);
      DedupeWindow restored = DedupeWindow.fromJson(w.toJson(), size);
      model.forEach((id, seq) -> assertThat(restored.seqOf(id)).isEqualTo(seq));
    }
  }

  @Test
  @DisplayName("an idle member's window holds nothing, and remembering again updates the seq in place")
  void lazyAndIdempotent() {
    DedupeWindow w = new DedupeWindow(4);
    assertThat(w.seqOf("a")).isEqualTo(-1);
    assertThat(w.toJson().isEmpty()).isTrue();
    w.remember("a", 1);
    w.remember("a", 5);
    assertThat(w.size()).isEqualTo(1);
    assertThat(w.seqOf("a")).isEqualTo(5);
  }

  private static String randomId(Random random) {
    switch (random.nextInt(5)) {
      case 0:
        return "m" + Integer.toString(random.nextInt(100_000), 36) + random.nextInt(1_000_000); // the web client's shape
      case 1: {
        StringBuilder b = new StringBuilder();
        int n = random.nextInt(20);
        for (int i = 0; i < n; i++) {
          b.append((char) (1 + random.nextInt(127)));
        }
        return b.toString();
      }
      case 2:
        return "long-" + random.nextLong() + "-" + random.nextLong();
      case 3:
        return "ü" + random.nextInt(1000);
      default:
        return Integer.toString(random.nextInt(50));
    }
  }
}
