package io.spendguard.proxy.provider;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;

class ToolCallsTest {
    private final ToolCalls calls = new ToolCalls();

    @Test
    void noCallsIsZeroAndOneCallIsOne() {
        assertThat(calls.mostRepeated()).isZero();

        calls.encodedArguments("get_weather", "{\"location\":\"Paris\"}");

        assertThat(calls.mostRepeated()).isEqualTo(1);
    }

    @Test
    void identicalCallsAreCounted() {
        for (int i = 0; i < 3; i++) {
            calls.encodedArguments("get_weather", "{\"location\":\"Paris\"}");
        }
        calls.encodedArguments("get_time", "{\"location\":\"Paris\"}");

        assertThat(calls.mostRepeated()).isEqualTo(3);
        assertThat(calls.distinct()).isEqualTo(2);
    }

    @Test
    void argumentsCompareAsJsonWhateverTheKeyOrderAndWhitespace() {
        calls.encodedArguments("f", "{\"a\":1,\"b\":{\"x\":[1,2,{\"q\":null,\"p\":true}],\"y\":\"s\"}}");
        calls.encodedArguments("f", " {\n \"b\" : { \"y\" : \"s\", \"x\" : [ 1 , 2 , { \"p\" : true , \"q\" : null } ] } ,\t\"a\" : 1 } ");
        calls.encodedArguments("f", "{\"b\":{\"y\":\"s\",\"x\":[1,2,{\"p\":true,\"q\":null}]},\"a\":1.0}");

        assertThat(calls.mostRepeated()).isEqualTo(3);
    }

    @Test
    void differentArgumentsOrNamesAreDistinct() {
        calls.encodedArguments("f", "{\"a\":1}");
        calls.encodedArguments("f", "{\"a\":2}");
        calls.encodedArguments("f", "{\"a\":\"1\"}");
        calls.encodedArguments("f", "{\"a\":[1]}");
        calls.encodedArguments("f", "{\"a\":1,\"b\":null}");
        calls.encodedArguments("f", "{}");
        calls.encodedArguments("f", "[2,1]");
        calls.encodedArguments("f", "[1,2]");
        calls.encodedArguments("g", "{\"a\":1}");

        assertThat(calls.mostRepeated()).isEqualTo(1);
        assertThat(calls.distinct()).isEqualTo(9);
    }

    @Test
    void nestingCannotBeConfusedWithFlatValues() {
        calls.encodedArguments("f", "{\"a\":{\"b\":\"c\"}}");
        calls.encodedArguments("f", "{\"a\":[\"b\",\"c\"]}");
        calls.encodedArguments("f", "{\"a\":\"bc\"}");
        calls.encodedArguments("f", "{\"ab\":\"c\"}");
        calls.encodedArguments("fa", "{\"b\":\"c\"}");

        assertThat(calls.mostRepeated()).isEqualTo(1);
    }

    @Test
    void malformedArgumentsCompareAsRawText() {
        calls.encodedArguments("f", "{\"a\": 1");
        calls.encodedArguments("f", "{\"a\": 1");
        calls.encodedArguments("f", "{\"a\":1");
        calls.encodedArguments("f", "{\"a\":1} trailing");

        assertThat(calls.mostRepeated()).isEqualTo(2);
        assertThat(calls.distinct()).isEqualTo(3);
    }

    @Test
    void rawTextNeverEqualsParsedJson() {
        calls.encodedArguments("f", "\"x\"");
        calls.textInput("f", "x");
        calls.encodedArguments("f", "x");

        assertThat(calls.mostRepeated()).isEqualTo(2);
    }

    @Test
    void absentArgumentsEqualAnEmptyString() {
        calls.encodedArguments("f", null);
        calls.encodedArguments("f", "");
        calls.encodedArguments("f", "{}");

        assertThat(calls.mostRepeated()).isEqualTo(2);
    }

    @Test
    void argumentsGivenAsAnObjectCompareWithTheirEncodedForm() {
        calls.encodedArguments("f", new JsonObject().put("b", 2).put("a", 1));
        calls.encodedArguments("f", "{\"a\":1,\"b\":2}");

        assertThat(calls.mostRepeated()).isEqualTo(2);
    }

    @Test
    void parsedInputComparesAsJson() {
        calls.parsedArguments("get_stock_price", new JsonObject().put("ticker", "AAPL").put("limits", new JsonArray().add(1).add(2.0)));
        calls.parsedArguments("get_stock_price", new JsonObject("{\"limits\":[1.0,2],\"ticker\":\"AAPL\"}"));
        calls.parsedArguments("get_stock_price", new JsonObject("{\"limits\":[2,1],\"ticker\":\"AAPL\"}"));

        assertThat(calls.mostRepeated()).isEqualTo(2);
    }

    @Test
    void absentParsedInputIsAnEmptyObject() {
        calls.parsedArguments("f", null);
        calls.parsedArguments("f", new JsonObject());

        assertThat(calls.mostRepeated()).isEqualTo(2);
    }

    @Test
    void callsWithoutANameAreNotCounted() {
        calls.encodedArguments(null, "{}");
        calls.parsedArguments(null, new JsonObject());
        calls.textInput(null, "x");

        assertThat(calls.mostRepeated()).isZero();
        assertThat(calls.distinct()).isZero();
    }

    @Test
    void numbersHaveOneSpellingPerValue() {
        assertThat(ToolCalls.number(1)).isEqualTo(ToolCalls.number(1.0)).isEqualTo(ToolCalls.number(1L))
                .isEqualTo(ToolCalls.number(new BigDecimal("10E-1"))).isEqualTo(ToolCalls.number(BigInteger.ONE));
        assertThat(ToolCalls.number(0)).isEqualTo(ToolCalls.number(-0.0)).isEqualTo(ToolCalls.number(new BigDecimal("0.000")));
        assertThat(ToolCalls.number(100)).isEqualTo(ToolCalls.number(1e2));
        assertThat(ToolCalls.number(1)).isNotEqualTo(ToolCalls.number(1.5));
        assertThat(ToolCalls.number(0.1)).isNotEqualTo(ToolCalls.number(0.10000001));
        assertThat(ToolCalls.number(Double.POSITIVE_INFINITY)).isEqualTo("Infinity");
    }

    @Test
    void argumentsPastTheParseLimitCompareRaw() {
        String value = "x".repeat(ToolCalls.MAX_PARSED_CHARS);
        String compact = "{\"a\":\"" + value + "\"}";
        String spaced = "{ \"a\" : \"" + value + "\" }";
        assertThat(compact.length()).isGreaterThan(ToolCalls.MAX_PARSED_CHARS);

        calls.encodedArguments("f", compact);
        calls.encodedArguments("f", compact);
        calls.encodedArguments("f", spaced);

        assertThat(calls.mostRepeated()).as("equal JSON, but too long to parse: only the byte-identical pair matches").isEqualTo(2);
        assertThat(calls.distinct()).isEqualTo(2);
    }

    @Test
    void argumentsAtTheParseLimitAreStillParsed() {
        String pad = " ".repeat(ToolCalls.MAX_PARSED_CHARS - "{\"a\":1}".length());
        calls.encodedArguments("f", "{\"a\":1}" + pad);
        calls.encodedArguments("f", "{\"a\":1}");

        assertThat(calls.mostRepeated()).isEqualTo(2);
    }

    @Test
    void nestingBeyondJacksonsLimitComparesRaw() {
        String deep = "[".repeat(5_000) + "]".repeat(5_000);

        calls.encodedArguments("f", deep);
        calls.encodedArguments("f", deep);

        assertThat(calls.mostRepeated()).isEqualTo(2);
    }

    @Test
    void onlyTheFirstCallsUpToTheCapAreCounted() {
        for (int i = 0; i < 50_000; i++) {
            calls.encodedArguments("f", "{\"i\":" + (i % 3 == 0 ? 0 : i) + "}");
        }

        assertThat(calls.distinct()).isLessThanOrEqualTo(ToolCalls.MAX_CALLS);
        assertThat(calls.mostRepeated()).isEqualTo((ToolCalls.MAX_CALLS + 2) / 3);
    }

    @Test
    void distinctCallsPastTheCapDoNotGrowTheTable() {
        for (int i = 0; i < 50_000; i++) {
            calls.encodedArguments("f", "{\"i\":" + i + "}");
        }

        assertThat(calls.distinct()).isEqualTo(ToolCalls.MAX_CALLS);
        assertThat(calls.mostRepeated()).isEqualTo(1);
    }
}
