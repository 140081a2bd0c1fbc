// Retries of an agent run through the official openai SDK: a byte-identical request in the same run
// (X-SpendGuard-Run-Id, no Idempotency-Key) is answered from the stored reply, streamed or not, and
// the SDK's own retry of a 409 idempotency_in_flight lands on that reply. One JSON line per scenario.
import OpenAI from 'openai';

const baseURL = process.env.OPENAI_BASE_URL;
const apiKey = process.env.OPENAI_API_KEY;
const messages = [{ role: 'user', content: 'Say hello' }];

function runClient(runId, maxRetries) {
  return new OpenAI({ baseURL, apiKey, maxRetries, defaultHeaders: { 'X-SpendGuard-Run-Id': runId } });
}

async function scenario(name, run) {
  try {
    console.log(JSON.stringify({ scenario: name, ...(await run()) }));
  } catch (e) {
    console.error(e);
    console.log(JSON.stringify({ scenario: name, ok: false, error: String(e) }));
  }
}

await scenario('retry_replayed', async () => {
  const client = runClient('sdk-run-1', 0);
  const request = { model: 'gpt-4o-mini', messages, max_tokens: 20 };
  const first = await client.chat.completions.create(request).withResponse();
  const retry = await client.chat.completions.create(request).withResponse();
  return {
    ok: true,
    first: first.data.choices[0].message.content,
    retry: retry.data.choices[0].message.content,
    same_id: first.data.id === retry.data.id,
    replayed: retry.response.headers.get('x-spendguard-idempotent-replay'),
  };
});

async function streamed(client, request) {
  const { data: stream, response } = await client.chat.completions.create(request).withResponse();
  let content = '';
  const ids = new Set();
  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    ids.add(chunk.id);
    content += chunk.choices[0]?.delta?.content ?? '';
  }
  return { content, chunks, ids: [...ids], replayed: response.headers.get('x-spendguard-idempotent-replay') };
}

await scenario('stream_retry_replayed', async () => {
  const client = runClient('sdk-run-2', 0);
  const request = { model: 'gpt-4o-mini', messages, max_tokens: 20, stream: true };
  const first = await streamed(client, request);
  const retry = await streamed(client, request);
  return { ok: true, first, retry };
});

await scenario('in_flight_retried_by_the_sdk', async () => {
  const request = { model: 'gpt-4o-mini', messages, max_tokens: 20 };
  const slow = runClient('sdk-run-3', 0).chat.completions.create(request, { headers: { 'x-mock-latency-ms': '1500' } }).withResponse();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const started = Date.now();
  const retry = await runClient('sdk-run-3', 4).chat.completions.create(request).withResponse();
  const first = await slow;
  return {
    ok: true,
    first: first.data.id,
    retry: retry.data.id,
    replayed: retry.response.headers.get('x-spendguard-idempotent-replay'),
    waited_ms: Date.now() - started,
  };
});
