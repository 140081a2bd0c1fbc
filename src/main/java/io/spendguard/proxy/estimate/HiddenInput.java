package io.spendguard.proxy.estimate;

/**
 * What a call draws on that its body does not show, as counted by the API shape: conversation
 * state stored at the provider ({@code previous_response_id}, {@code conversation}), a stored prompt
 * ({@code prompt.id}), files referenced by id or URL, hosted tools the provider runs and bills
 * itself (web search, file search, code interpreter, Anthropic's server tools), and background mode
 * (its usage arrives after the reply, where the proxy does not see it). The estimator reserves the
 * configured amount for each ({@code estimation.hidden_costs}).
 */
public record HiddenInput(boolean storedConversation, boolean storedPrompt, int filesById, int hostedTools, boolean background) {
    public static final HiddenInput NONE = new HiddenInput(false, false, 0, 0, false);

    public HiddenInput {
        if (filesById < 0 || hostedTools < 0) {
            throw new IllegalArgumentException("filesById and hostedTools must be >= 0");
        }
    }
}
