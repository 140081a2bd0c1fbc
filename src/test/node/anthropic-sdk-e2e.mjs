// Drives the SpendGuard proxy with the official @anthropic-ai/sdk, as an agent does after setting
// ANTHROPIC_BASE_URL. Prints one JSON line per scenario on stdout; AnthropicSdkTest asserts on them.
import Anthropic from '@anthropic-ai/sdk';

// SDK 1.x (API version 2026-10-21) sends an API key as "Authorization: Bearer"; the proxy's Anthropic
// route reads the key from x-api-key, so the key goes in that header as SDKs before 1.0 sent it.
const client = new Anthropic({
  baseURL: process.env.ANTHROPIC_BASE_URL,
  apiKey: null,
  defaultHeaders: { 'x-api-key': process.env.SG_ANTHROPIC_KEY },
  maxRetries: 0,
});
const model = process.env.SG_MODEL ?? 'claude-test';
const messages = [{ role: 'user', content: 'Say hello' }];

async function scenario(name, run) {
  try {
    console.log(JSON.stringify({ scenario: name, ...(await run()) }));
  } catch (e) {
    console.error(e);
    console.log(JSON.stringify({ scenario: name, ok: false, error: String(e) }));
  }
}

await scenario('non_stream', async () => {
  const { data, response } = await client.messages
    .create({ model, system: 'You are terse.', messages, max_tokens: 100 })
    .withResponse();
  return {
    ok: true,
    content: data.content[0].text,
    usage: data.usage,
    decision_id: response.headers.get('x-spendguard-decision-id'),
    cost: response.headers.get('x-spendguard-cost-usd-micros'),
  };
});

await scenario('stream', async () => {
  const stream = client.messages.stream({ model, messages, max_tokens: 100 });
  let content = '';
  let events = 0;
  stream.on('text', (text) => { content += text; });
  stream.on('streamEvent', () => { events++; });
  const final = await stream.finalMessage();
  return { ok: true, content, events, usage: final.usage, stop_reason: final.stop_reason };
});

await scenario('refused', async () => {
  try {
    await client.messages.create({ model, messages, max_tokens: Number(process.env.SG_REFUSE_MAX_TOKENS ?? 8000) });
    return { ok: false, error: 'the call was not refused' };
  } catch (err) {
    return {
      ok: true,
      is_api_error: err instanceof Anthropic.APIError,
      status: err.status,
      type: err.type,
      api_message: err.apiMessage ?? err.error?.error?.message ?? null,
      message: err.message,
      spendguard: err.error?.error?.spendguard ?? null,
    };
  }
});
