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

await scenario('responses', async () => {
  const { data, response } = await client.responses
    .create({ model: 'gpt-4o-mini', instructions: 'Be brief.', input: 'Say hello', max_output_tokens: 20 })
    .withResponse();
  return {
    ok: true,
    status: data.status,
    text: data.output_text,
    usage: data.usage,
    cost: Number(response.headers.get('x-spendguard-cost-usd-micros')),
  };
});

await scenario('responses_stream', async () => {
  const stream = client.responses.stream({
    model: 'gpt-4o-mini',
    input: [{ role: 'user', content: [{ type: 'input_text', text: 'Say hello' }] }],
  });
  let text = '';
  const types = [];
  stream.on('event', (event) => types.push(event.type));
  stream.on('response.output_text.delta', (event) => { text += event.delta; });
  const final = await stream.finalResponse();
  const finalText = final.output.filter((item) => item.type === 'message').flatMap((item) => item.content).map((c) => c.text).join('');
  return { ok: true, text, final_text: finalText, status: final.status, usage: final.usage, types };
});

await scenario('embeddings', async () => {
  const { data, response } = await client.embeddings
    .create({ model: 'text-embedding-test', input: ['Say hello', 'The food was delicious and the waiter...'] })
    .withResponse();
  return {
    ok: true,
    vectors: data.data.length,
    dimensions: data.data[0].embedding.length,
    first: data.data[0].embedding[0],
    usage: data.usage,
    cost: Number(response.headers.get('x-spendguard-cost-usd-micros')),
  };
});

await scenario('completions', async () => {
  const { data, response } = await client.completions
    .create({ model: 'gpt-4o-mini', prompt: 'Say this is a test', max_tokens: 7 })
    .withResponse();
  return {
    ok: true,
    text: data.choices[0].text,
    finish_reason: data.choices[0].finish_reason,
    usage: data.usage,
    cost: Number(response.headers.get('x-spendguard-cost-usd-micros')),
  };
});

await scenario('completions_stream', async () => {
  const stream = await client.completions.create({ model: 'gpt-4o-mini', prompt: 'Say this is a test', max_tokens: 7, stream: true });
  let text = '';
  let sawUsage = false;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.text ?? '';
    if (chunk.usage) sawUsage = true;
  }
  return { ok: true, text, saw_usage: sawUsage };
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
