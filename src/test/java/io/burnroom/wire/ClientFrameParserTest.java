package io.burnroom.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.config.Limits;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("Client frame parser")
class ClientFrameParserTest {
  private final ClientFrameParser parser = new ClientFrameParser(Limits.defaults(), 86_400);

  private ErrorCode error(String text) {
    ClientFrameParser.Result r = parser.parse(text);
    assertThat(r.ok()).as("expected an error for %s", text).isFalse();
    return r.error();
  }

  @Test
  @DisplayName("parses each valid frame type")
  void valid() {
    assertThat(parser.parse("{\"type\":\"join\",\"profile\":\"YWJj\"}").frame())
        .isEqualTo(new ClientFrame.Join("YWJj", null, -1));
    assertThat(parser.parse("{\"type\":\"join\",\"profile\":\"YWJj\",\"resume\":\"tok\",\"lastSeq\":4}").frame())
        .isEqualTo(new ClientFrame.Join("YWJj", "tok", 4));
    assertThat(parser.parse("{\"type\":\"msg\",\"id\":\"1\",\"body\":\"AA-_\",\"to\":\"m\"}").frame())
        .isEqualTo(new ClientFrame.Msg("1", "AA-_", "m"));
    assertThat(parser.parse("{\"type\":\"admin\",\"pin\":\"X\",\"op\":\"extend\",\"seconds\":60}").frame())
        .isEqualTo(new ClientFrame.Admin("X", AdminOp.EXTEND, null, 60));
    assertThat(parser.parse("{\"type\":\"admin\",\"pin\":\"X\",\"op\":\"kick\",\"target\":\"m\"}").frame())
        .isEqualTo(new ClientFrame.Admin("X", AdminOp.KICK, "m", 0));
    assertThat(parser.parse("{\"type\":\"ping\"}").frame()).isInstanceOf(ClientFrame.Ping.class);
  }

  private static final String KEY = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA";

  @Test
  @DisplayName("reads a join token, a rotate and a kick that rotates; the old frames read as before")
  void joinTokens() {
    assertThat(parser.parse("{\"type\":\"join\",\"profile\":\"YWJj\",\"token\":\"" + KEY + "\"}").frame())
        .isEqualTo(new ClientFrame.Join("YWJj", null, -1, KEY));
    assertThat(parser.parse("{\"type\":\"join\",\"profile\":\"YWJj\",\"token\":null}").frame())
        .isEqualTo(new ClientFrame.Join("YWJj", null, -1));
    assertThat(parser.parse("{\"type\":\"admin\",\"pin\":\"X\",\"op\":\"rotate\",\"joinHash\":\"" + KEY + "\"}").frame())
        .isEqualTo(new ClientFrame.Admin("X", AdminOp.ROTATE, null, 0, KEY));
    assertThat(parser.parse("{\"type\":\"admin\",\"pin\":\"X\",\"op\":\"kick\",\"target\":\"m\",\"joinHash\":\"" + KEY + "\"}")
        .frame()).isEqualTo(new ClientFrame.Admin("X", AdminOp.KICK, "m", 0, KEY));
    assertThat(parser.parse("{\"type\":\"admin\",\"pin\":\"X\",\"op\":\"lock\",\"joinHash\":7}").frame())
        .as("ops that take no hash ignore the field, like any unknown field")
        .isEqualTo(new ClientFrame.Admin("X", AdminOp.LOCK, null, 0));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @DisplayName("every malformed frame gets its stable code")
  @CsvSource(delimiter = '|', value = {
      "not json|BAD_FRAME",
      "[1,2]|BAD_FRAME",
      "\"str\"|BAD_FRAME",
      "{}|UNKNOWN_TYPE",
      "{\"type\":7}|UNKNOWN_TYPE",
      "{\"type\":\"dance\"}|UNKNOWN_TYPE",
      "{\"type\":\"join\"}|BAD_FIELD",
      "{\"type\":\"join\",\"profile\":\"\"}|BAD_FIELD",
      "{\"type\":\"join\",\"profile\":\"not base64!\"}|BAD_FIELD",
      "{\"type\":\"join\",\"profile\":\"YQ\",\"resume\":5}|BAD_FIELD",
      "{\"type\":\"join\",\"profile\":\"YQ\",\"lastSeq\":-1}|BAD_FIELD",
      "{\"type\":\"join\",\"profile\":\"YQ\",\"lastSeq\":1.5}|BAD_FIELD",
      "{\"type\":\"msg\",\"body\":\"YQ\"}|BAD_FIELD",
      "{\"type\":\"msg\",\"id\":\"\",\"body\":\"YQ\"}|BAD_FIELD",
      "{\"type\":\"msg\",\"id\":\"1\",\"body\":{}}|BAD_FIELD",
      "{\"type\":\"msg\",\"id\":\"1\",\"body\":\"<script>\"}|BAD_FIELD",
      "{\"type\":\"msg\",\"id\":\"1\",\"body\":\"YQ\",\"to\":7}|BAD_FIELD",
      "{\"type\":\"admin\",\"op\":\"burn\"}|BAD_FIELD",
      "{\"type\":\"admin\",\"pin\":\"X\",\"op\":\"explode\"}|BAD_ADMIN_OP",
      "{\"type\":\"admin\",\"pin\":\"X\",\"op\":\"kick\"}|BAD_FIELD",
      "{\"type\":\"admin\",\"pin\":\"X\",\"op\":\"extend\",\"seconds\":0}|BAD_FIELD",
      "{\"type\":\"admin\",\"pin\":\"X\",\"op\":\"extend\",\"seconds\":99999999999999999999999}|BAD_FIELD",
      "{\"type\":\"admin\",\"pin\":\"X\",\"op\":\"extend\",\"seconds\":\"60\"}|BAD_FIELD",
      "{\"type\":\"join\",\"profile\":\"YQ\",\"token\":\"\"}|BAD_FIELD",
      "{\"type\":\"join\",\"profile\":\"YQ\",\"token\":7}|BAD_FIELD",
      "{\"type\":\"join\",\"profile\":\"YQ\",\"token\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}|BAD_FIELD",
      "{\"type\":\"join\",\"profile\":\"YQ\",\"token\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}|BAD_FIELD",
      "{\"type\":\"join\",\"profile\":\"YQ\",\"token\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}|BAD_FIELD",
      "{\"type\":\"join\",\"profile\":\"YQ\",\"token\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+\"}|BAD_FIELD",
      "{\"type\":\"join\",\"profile\":\"YQ\",\"token\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB\"}|BAD_FIELD",
      "{\"type\":\"join\",\"profile\":\"YQ\",\"token\":[\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"]}|BAD_FIELD",
      "{\"type\":\"admin\",\"pin\":\"X\",\"op\":\"rotate\"}|BAD_FIELD",
      "{\"type\":\"admin\",\"pin\":\"X\",\"op\":\"rotate\",\"joinHash\":null}|BAD_FIELD",
      "{\"type\":\"admin\",\"pin\":\"X\",\"op\":\"rotate\",\"joinHash\":\"short\"}|BAD_FIELD",
      "{\"type\":\"admin\",\"pin\":\"X\",\"op\":\"rotate\",\"joinHash\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/\"}|BAD_FIELD",
      "{\"type\":\"admin\",\"op\":\"rotate\",\"joinHash\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}|BAD_FIELD",
      "{\"type\":\"admin\",\"pin\":\"X\",\"op\":\"kick\",\"target\":\"m\",\"joinHash\":\"\"}|BAD_FIELD",
      "{\"type\":\"admin\",\"pin\":\"X\",\"op\":\"kick\",\"target\":\"m\",\"joinHash\":42}|BAD_FIELD",
      "{\"type\":\"admin\",\"pin\":\"X\",\"op\":\"kick\",\"target\":\"m\",\"joinHash\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}|BAD_FIELD",
      "{\"type\":\"admin\",\"pin\":\"X\",\"op\":\"kick\",\"joinHash\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}|BAD_FIELD",
  })
  void malformed(String text, ErrorCode expected) {
    assertThat(error(text)).isEqualTo(expected);
  }

  @Test
  @DisplayName("a chunk has exactly a msg's fields and rules, read the fast way or the general way")
  void chunks() {
    ClientFrame.Chunk c = new ClientFrame.Chunk("a.0", "AA-_", "m");
    assertThat(parser.parse("{\"type\":\"chunk\",\"id\":\"a.0\",\"body\":\"AA-_\",\"to\":\"m\"}").frame()).isEqualTo(c);
    assertThat(parser.parse("{\"to\":\"m\",\"body\":\"AA-_\",\"id\":\"a.0\",\"type\":\"chunk\",\"n\":1}").frame())
        .as("any field order, an unknown number field (the general way)").isEqualTo(c);
    assertThat(parser.parse("{\"type\":\"chunk\",\"id\":\"a.0\",\"body\":\"AA-_\",\"to\":\"m\"}", false).frame())
        .isEqualTo(c);
    assertThat(parser.parse("{\"type\":\"chunk\",\"id\":\"1\",\"body\":\"" + "A".repeat(65536) + "\"}").ok()).isTrue();
    assertThat(error("{\"type\":\"chunk\",\"id\":\"1\",\"body\":\"" + "A".repeat(65537) + "\"}"))
        .isEqualTo(ErrorCode.PAYLOAD_TOO_LARGE);
    assertThat(error("{\"type\":\"chunk\",\"id\":\"\",\"body\":\"AA\"}")).isEqualTo(ErrorCode.BAD_FIELD);
    assertThat(error("{\"type\":\"chunk\",\"id\":\"1\",\"body\":\"not base64\"}")).isEqualTo(ErrorCode.BAD_FIELD);
    assertThat(error("{\"type\":\"chunk\",\"id\":\"1\"}")).isEqualTo(ErrorCode.BAD_FIELD);
    assertThat(error("{\"type\":\"chunk\",\"id\":\"1\",\"body\":\"AA\",\"to\":5}")).isEqualTo(ErrorCode.BAD_FIELD);
  }

  @Test
  @DisplayName("limits: id 64, profile 4 KiB, body 64 KiB, frame 65 KiB")
  void limits() {
    assertThat(parser.parse("{\"type\":\"msg\",\"id\":\"" + "i".repeat(64) + "\",\"body\":\"YQ\"}").ok()).isTrue();
    assertThat(error("{\"type\":\"msg\",\"id\":\"" + "i".repeat(65) + "\",\"body\":\"YQ\"}")).isEqualTo(ErrorCode.BAD_FIELD);
    assertThat(parser.parse("{\"type\":\"join\",\"profile\":\"" + "A".repeat(4096) + "\"}").ok()).isTrue();
    assertThat(error("{\"type\":\"join\",\"profile\":\"" + "A".repeat(4097) + "\"}")).isEqualTo(ErrorCode.PAYLOAD_TOO_LARGE);
    assertThat(parser.parse("{\"type\":\"msg\",\"id\":\"1\",\"body\":\"" + "A".repeat(65536) + "\"}").ok()).isTrue();
    assertThat(error("{\"type\":\"msg\",\"id\":\"1\",\"body\":\"" + "A".repeat(65537) + "\"}")).isEqualTo(ErrorCode.PAYLOAD_TOO_LARGE);
    assertThat(error("{\"type\":\"ping\",\"x\":\"" + "A".repeat(Limits.FRAME_MAX) + "\"}")).isEqualTo(ErrorCode.PAYLOAD_TOO_LARGE);
  }

  @Test
  @DisplayName("deep nesting is refused without a stack overflow")
  void deepNesting() {
    String deep = "[".repeat(20_000) + "]".repeat(20_000);
    assertThat(error("{\"type\":\"ping\",\"x\":" + deep + "}")).isEqualTo(ErrorCode.BAD_FRAME);
  }

  @ParameterizedTest(name = "{0}")
  @DisplayName("msg frames read off the token stream get exactly what the general parse gives")
  @org.junit.jupiter.params.provider.ValueSource(strings = {
      "{\"type\":\"msg\",\"id\":\"1\",\"body\":\"QUJD\"}",
      "{\"body\":\"QUJD\",\"id\":\"1\",\"type\":\"msg\",\"to\":\"m\"}",
      "{\"type\":\"msg\",\"id\":\"1\",\"body\":\"QUJD\",\"to\":null}",
      "{\"type\":\"msg\",\"id\":\"1\",\"body\":\"QUJD\",\"to\":\"m\",\"to\":null}",
      "{\"type\":\"join\",\"type\":\"msg\",\"id\":\"1\",\"body\":\"QUJD\"}",
      "{\"type\":\"msg\",\"id\":\"a\\\"b\\u00fc\",\"body\":\"QUJD\",\"extra\":\"x\"}",
      "{\"type\":\"msg\",\"id\":\"\",\"body\":\"QUJD\"}",
      "{\"type\":\"msg\",\"id\":\"1\",\"body\":\"not base64!\"}",
      "{\"type\":\"msg\",\"id\":\"1\",\"body\":\"\"}",
      "{\"type\":\"msg\",\"id\":1,\"body\":\"QUJD\"}",
      "{\"type\":\"msg\",\"id\":\"1\",\"body\":\"QUJD\",\"to\":5}",
      "{\"type\":\"msg\",\"id\":\"1\",\"body\":\"QUJD\",\"to\":\"\"}",
      "{\"type\":\"msg\",\"id\":\"1\",\"body\":\"QUJD\",\"x\":{\"y\":[1]}}",
      "{\"type\":\"msg\",\"id\":\"1\",\"body\":\"QUJD\"} trailing",
      "{\"type\":\"msg\",\"id\":\"1\",\"body\":\"QUJD\"",
      "{\"type\":\"msg\",\"id\":\"1\",\"body\":\"QUJD\"}{}",
      "{\"type\":\"msg\",\"id\":null,\"body\":\"QUJD\"}",
      "{\"type\":\"ping\"}",
      "[\"msg\"]",
      "\"msg\""})
  void streamedMsgMatchesGeneral(String frame) {
    assertThat(parser.parse(frame, true)).isEqualTo(parser.parse(frame, false));
  }

  @org.junit.jupiter.api.Test
  @DisplayName("an id or a body one character past its limit is refused the same both ways")
  void streamedLimits() {
    Limits l = Limits.defaults();
    String longId = "i".repeat(l.maxClientIdChars() + 1);
    String longBody = "A".repeat(l.maxBodyChars() + 1);
    for (String frame : new String[] {
        "{\"type\":\"msg\",\"id\":\"" + longId + "\",\"body\":\"QUJD\"}",
        "{\"type\":\"msg\",\"id\":\"1\",\"body\":\"" + longBody + "\"}"}) {
      assertThat(parser.parse(frame, true)).isEqualTo(parser.parse(frame, false));
      assertThat(parser.parse(frame, true).ok()).isFalse();
    }
  }
}
