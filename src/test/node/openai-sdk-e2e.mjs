// Drives the SpendGuard proxy with the official openai SDK, as an agent does after setting
// OPENAI_BASE_URL. Prints one JSON line per scenario on stdout; OpenAiSdkTest asserts on them.
import OpenAI from 'openai';

const client = new OpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: process.env.OPENAI_API_KEY, maxRetries: 0 });
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
  const { data, response } = await client.chat.completions
    .create({ model: 'gpt-4o-mini', messages, max_tokens: 20 })
    .withResponse();
  return {
    ok: true,
    content: data.choices[0].message.content,
    usage: data.usage,
    decision_id: response.headers.get('x-spendguard-decision-id'),
  };
});

await scenario('stream', async () => {
  const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 20, stream: true });
  let content = '';
  let chunks = 0;
  let sawUsage = false;
  for await (const chunk of stream) {
    chunks++;
    content += chunk.choices[0]?.delta?.content ?? '';
    if (chunk.usage) sawUsage = true;
  }
  return { ok: true, content, chunks, saw_usage: sawUsage };
});

await scenario('refused', async () => {
  try {
    await client.chat.completions.create({
      model: process.env.SG_REFUSE_MODEL ?? 'gpt-4o-mini',
      messages,
      max_tokens: Number(process.env.SG_REFUSE_MAX_TOKENS ?? 16000),
    });
    return { ok: false, error: 'the call was not refused' };
  } catch (err) {
    return {
      ok: true,
      is_api_error: err instanceof OpenAI.APIError,
      status: err.status,
      type: err.type,
      code: err.code,
      message: err.message,
      spendguard: err.error?.spendguard ?? null,
    };
  }
});
