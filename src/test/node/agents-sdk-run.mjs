// Runs an OpenAI Agents SDK agent with one function tool through the SpendGuard proxy, as an agent
// service does with OPENAI_BASE_URL and X-SpendGuard-Run-Id on its OpenAI client. Each scenario is one
// run, on Chat Completions or Responses, plain or streamed. SG_MODE=stuck adds x-mock-tool-loop, so
// the mock model calls the tool with the same arguments forever and only the proxy can stop the run.
// Prints a JSON line per HTTP request ("call:<scenario>:<n>") and per run ("result:<scenario>");
// AgentFrameworksTest asserts on them.
import OpenAI from 'openai';
import { Agent, MaxTurnsExceededError, OpenAIProvider, Runner, setTracingDisabled, tool } from '@openai/agents';
import { z } from 'zod';
import { failure, loggingFetch } from './agent-run-log.mjs';

setTracingDisabled(true);

const mode = process.env.SG_MODE ?? 'normal';
const maxTurns = Number(process.env.SG_MAX_TURNS ?? 50);
const prefix = process.env.SG_RUN_PREFIX ?? 'agents';
const scenarios = (process.env.SG_SCENARIOS ?? 'chat_completions:json,chat_completions:sse,responses:json,responses:sse').split(',');

for (const scenario of scenarios) {
  const [api, transport] = scenario.split(':');
  const runId = `${prefix}-${mode}-${api}-${transport}`;
  const log = loggingFetch(scenario);
  const headers = { 'X-SpendGuard-Run-Id': runId };
  if (mode === 'stuck') headers['x-mock-tool-loop'] = '1';
  const client = new OpenAI({
    baseURL: process.env.OPENAI_BASE_URL,
    apiKey: process.env.OPENAI_API_KEY,
    defaultHeaders: headers,
    fetch: log.fetch,
  });
  let toolRuns = 0;
  const getWeather = tool({
    name: 'get_weather',
    description: 'The current weather in a city.',
    parameters: z.object({ city: z.string() }),
    execute: async ({ city }) => {
      toolRuns++;
      return `Sunny and 21 degrees in ${city}.`;
    },
  });
  const agent = new Agent({
    name: 'Weather agent',
    instructions: 'Answer with the weather; call get_weather first.',
    model: 'gpt-4o-mini',
    tools: [getWeather],
  });
  const runner = new Runner({
    modelProvider: new OpenAIProvider({ openAIClient: client, useResponses: api === 'responses' }),
    tracingDisabled: true,
  });
  const input = `What is the weather in Paris? (run ${runId})`;
  const result = { key: `result:${scenario}`, scenario, mode, run_id: runId, max_turns: maxTurns };
  try {
    if (transport === 'sse') {
      const stream = await runner.run(agent, input, { maxTurns, stream: true });
      await stream.completed;
      if (stream.error) throw stream.error;
      result.final_output = stream.finalOutput;
    } else {
      result.final_output = (await runner.run(agent, input, { maxTurns })).finalOutput;
    }
    result.outcome = 'completed';
  } catch (e) {
    console.error(`${scenario}: ${e}`);
    result.outcome = e instanceof MaxTurnsExceededError ? 'max_turns' : 'error';
    result.error = failure(e);
  }
  result.requests = log.calls.length;
  result.tool_runs = toolRuns;
  console.log(JSON.stringify(result));
}
