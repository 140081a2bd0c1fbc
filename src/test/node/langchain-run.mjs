// Runs a LangChain.js tool loop through the SpendGuard proxy: ChatOpenAI (configuration.baseURL = the
// proxy, X-SpendGuard-Run-Id among its default headers, maxRetries left at LangChain's default) bound
// to one tool, invoked again after each tool result until the model answers with text. Each scenario is
// one run, on Chat Completions (plain, or streamed through llm.stream(): invoke with streaming on
// estimates usage with a tiktoken table fetched from the network) or Responses. SG_MODE=stuck adds x-mock-tool-loop,
// so the mock model calls the tool with the same arguments forever and only the proxy can stop the run.
// Prints a JSON line per HTTP request ("call:<scenario>:<n>") and per run ("result:<scenario>");
// AgentFrameworksTest asserts on them.
import { ChatOpenAI } from '@langchain/openai';
import { HumanMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { z } from 'zod';
import { failure, loggingFetch } from './agent-run-log.mjs';

const mode = process.env.SG_MODE ?? 'normal';
const maxTurns = Number(process.env.SG_MAX_TURNS ?? 50);
const prefix = process.env.SG_RUN_PREFIX ?? 'langchain';
const scenarios = (process.env.SG_SCENARIOS ?? 'chat:json,chat:sse,responses:json').split(',');

/** The whole reply of a streamed call: its chunks concatenated (tool call chunks become tool calls). */
async function streamed(llm, messages) {
  let reply;
  for await (const chunk of await llm.stream(messages)) {
    reply = reply === undefined ? chunk : reply.concat(chunk);
  }
  return reply;
}

for (const scenario of scenarios) {
  const [api, transport] = scenario.split(':');
  const runId = `${prefix}-${mode}-${api}-${transport}`;
  const log = loggingFetch(scenario);
  const headers = { 'X-SpendGuard-Run-Id': runId };
  if (mode === 'stuck') headers['x-mock-tool-loop'] = '1';
  let toolRuns = 0;
  const getWeather = tool(
    async ({ city }) => {
      toolRuns++;
      return `Sunny and 21 degrees in ${city}.`;
    },
    { name: 'get_weather', description: 'The current weather in a city.', schema: z.object({ city: z.string() }) },
  );
  const llm = new ChatOpenAI({
    model: 'gpt-4o-mini',
    apiKey: process.env.OPENAI_API_KEY,
    useResponsesApi: api === 'responses',
    configuration: { baseURL: process.env.OPENAI_BASE_URL, defaultHeaders: headers, fetch: log.fetch },
  }).bindTools([getWeather]);
  const messages = [new HumanMessage(`What is the weather in Paris? (run ${runId})`)];
  const result = { key: `result:${scenario}`, scenario, mode, run_id: runId, max_turns: maxTurns, outcome: 'max_turns' };
  try {
    for (let turn = 0; turn < maxTurns; turn++) {
      const reply = transport === 'sse' ? await streamed(llm, messages) : await llm.invoke(messages);
      messages.push(reply);
      if (!reply.tool_calls?.length) {
        result.outcome = 'completed';
        result.final_output = reply.text ?? String(reply.content);
        break;
      }
      for (const call of reply.tool_calls) {
        messages.push(await getWeather.invoke(call));
      }
    }
  } catch (e) {
    console.error(`${scenario}: ${e}`);
    result.outcome = 'error';
    result.error = failure(e);
  }
  result.requests = log.calls.length;
  result.tool_runs = toolRuns;
  console.log(JSON.stringify(result));
}
