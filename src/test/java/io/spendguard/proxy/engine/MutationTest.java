package io.spendguard.proxy.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** DEGRADE mutations and their {@code mutation_patch_json} form on the sidecar protocol. */
class MutationTest {

    @Test
    void readsReplaceAndAddOnEverySupportedPath() {
        Mutation m = Mutation.fromPatch("""
                [{"op":"replace","path":"/model","value":"gpt-4o-mini"},
                 {"op":"add","path":"/max_completion_tokens","value":512},
                 {"op":"replace","path":"/temperature","value":0.2}]""");

        assertThat(m).isEqualTo(new Mutation("gpt-4o-mini", 512, 0.2));
        assertThat(Mutation.fromPatch("[{\"op\":\"add\",\"path\":\"/max_tokens\",\"value\":64}]").maxOutputTokens()).isEqualTo(64);
        assertThat(Mutation.fromPatch("[{\"op\":\"add\",\"path\":\"/max_output_tokens\",\"value\":65}]").maxOutputTokens()).isEqualTo(65);
    }

    @Test
    void anEmptyPatchChangesNothing() {
        assertThat(Mutation.fromPatch("")).isNull();
        assertThat(Mutation.fromPatch("[]")).isNull();
    }

    @Test
    void refusesWhatItCannotApply() {
        assertThatThrownBy(() -> Mutation.fromPatch("[{\"op\":\"remove\",\"path\":\"/model\"}]")).hasMessageContaining("replace/add");
        assertThatThrownBy(() -> Mutation.fromPatch("[{\"op\":\"replace\",\"path\":\"/messages\",\"value\":[]}]"))
                .hasMessageContaining("/messages");
        assertThatThrownBy(() -> Mutation.fromPatch("[{\"op\":\"replace\",\"path\":\"/model\",\"value\":7}]")).hasMessageContaining("/model");
        assertThatThrownBy(() -> Mutation.fromPatch("[{\"op\":\"replace\",\"path\":\"/max_tokens\",\"value\":0}]"))
                .hasMessageContaining("/max_tokens");
        assertThatThrownBy(() -> Mutation.fromPatch("[{\"op\":\"replace\",\"path\":\"/max_tokens\",\"value\":1.5}]"))
                .hasMessageContaining("/max_tokens");
        assertThatThrownBy(() -> Mutation.fromPatch("{\"op\":\"replace\"}")).hasMessageContaining("JSON array");
    }

    @Test
    void roundTripsThroughThePatchAndDescribesTheChange() {
        Mutation m = new Mutation("claude-haiku-4-5", 1024, 0.0);

        assertThat(Mutation.fromPatch(m.toPatch())).isEqualTo(m);
        assertThat(m.describe()).isEqualTo("model=claude-haiku-4-5; max_output_tokens=1024; temperature=0.0");
        assertThat(new Mutation("gpt-4o-mini", null, null).describe()).isEqualTo("model=gpt-4o-mini");
    }
}
