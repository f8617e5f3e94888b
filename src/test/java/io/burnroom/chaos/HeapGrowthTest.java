package io.burnroom.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The heap report names the classes whose live bytes grew most")
class HeapGrowthTest {
  @Test
  @DisplayName("largest growth first, the total over every class, classes new or gone included")
  void largestFirst() {
    Map<String, long[]> before = Map.of("[B", new long[] {10, 10_240}, "java.lang.String", new long[] {10, 240},
        "gone.Type", new long[] {1, 1_024});
    Map<String, long[]> after = Map.of("[B", new long[] {12, 30_720}, "java.lang.String", new long[] {20, 480},
        "new.Type", new long[] {2, 2_048});
    String top = HeapGrowth.top(before, after, 2);
    assertThat(top).startsWith("+21.2 KiB in all; +20.0 KiB [B (+2) +2.0 KiB new.Type (+2)");
    assertThat(top).doesNotContain("java.lang.String");
  }
}
