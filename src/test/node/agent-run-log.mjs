// What the agent-framework scripts share: a fetch that logs every HTTP request a framework's OpenAI
// client makes (retries included) as one JSON line, and the shape of a run's result line.

/** A fetch that prints {key: "call:<scenario>:<n>", ...} per request and counts them in `calls`. */
export function loggingFetch(scenario) {
  const log = { calls: [] };
  log.fetch = async (url, init) => {
    const n = log.calls.length + 1;
    const headers = new Headers(init?.headers);
    const res = await fetch(url, init);
    const call = {
      key: `call:${scenario}:${n}`,
      scenario,
      n,
      path: new URL(String(url)).pathname,
      status: res.status,
      run_id: headers.get('x-spendguard-run-id'),
      retry_count: Number(headers.get('x-stainless-retry-count') ?? 0),
    };
    if (res.status >= 400) {
      const body = await res.clone().json().catch(() => null);
      call.error_code = body?.error?.code ?? null;
      call.should_retry = res.headers.get('x-should-retry');
    }
    log.calls.push(call);
    console.log(JSON.stringify(call));
    return res;
  };
  return log;
}

/** The fields of a run that ended with an error, looked up on the error and its causes. */
export function failure(e) {
  let api = e;
  for (let c = e; c; c = c.cause ?? c.error) {
    if (typeof c.status === 'number') {
      api = c;
      break;
    }
    if (c === c.cause) break;
  }
  return {
    name: e?.constructor?.name ?? String(e),
    message: String(e?.message ?? e),
    status: api?.status ?? null,
    type: api?.error?.type ?? api?.type ?? null,
    code: api?.error?.code ?? api?.code ?? null,
    spendguard: api?.error?.spendguard ?? null,
  };
}
