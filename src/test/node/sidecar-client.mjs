// Talks to `spendguard-proxy sidecar` over its Unix socket with grpc-js, as a SpendGuard SDK does:
// handshake, one decision, its settlement on the trace-event stream. Prints one JSON line per step
// on stdout; SidecarServerGrpcJsTest asserts on them. Env: SG_SOCKET, SG_TENANT, SG_PROTO_DIR.
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const definition = protoLoader.loadSync('spendguard/sidecar_adapter/v1/adapter.proto', {
  includeDirs: [process.env.SG_PROTO_DIR],
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
});
const { SidecarAdapter } = grpc.loadPackageDefinition(definition).spendguard.sidecar_adapter.v1;
const client = new SidecarAdapter(`unix://${process.env.SG_SOCKET}`, grpc.credentials.createInsecure());
const deadline = () => new Date(Date.now() + 10_000);
const unary = (method, request) => new Promise((resolve, reject) =>
  client[method](request, { deadline: deadline() }, (err, response) => (err ? reject(err) : resolve(response))));

async function step(name, run) {
  try {
    console.log(JSON.stringify({ step: name, ok: true, ...(await run()) }));
  } catch (e) {
    console.log(JSON.stringify({ step: name, ok: false, code: e.code, details: e.details, error: String(e) }));
  }
}

const unit = { unit_id: 'usd_micros', kind: 'MONETARY', currency: 'USD', unit_name: 'usd_micros' };
let reservation = '';

await step('handshake', async () => {
  const r = await unary('Handshake', {
    protocol_version: 1, capability_level: 'L1_LLM_CALL', runtime_kind: 'grpc-js', tenant_id_assertion: process.env.SG_TENANT,
  });
  return { sidecar_version: r.sidecar_version, session_id: r.session_id, protocol_version: r.protocol_version };
});

await step('decision', async () => {
  const r = await unary('RequestDecision', {
    trigger: 'LLM_CALL_PRE',
    route: 'llm.call',
    ids: { run_id: 'run-js', decision_id: 'dec-js-1' },
    inputs: {
      projected_claims: [{ budget_id: 'team', unit, amount_atomic: '1500', direction: 'DEBIT' }],
      projected_unit: unit,
      claim_estimate: { model: 'gpt-4o-mini', input_tokens: 12, predicted_a_tokens: 100 },
    },
    idempotency: { key: 'js-key-1' },
  });
  reservation = r.reservation_ids[0] ?? '';
  return { decision: r.decision, decision_id: r.decision_id, reservation_ids: r.reservation_ids };
});

await step('settle', () => new Promise((resolve, reject) => {
  const stream = client.EmitTraceEvents({ deadline: deadline() });
  const acks = [];
  stream.on('data', (ack) => acks.push({ event_id: ack.event_id, status: ack.status }));
  stream.on('error', reject);
  stream.on('end', () => resolve({ acks }));
  stream.write({
    kind: 'LLM_CALL_POST',
    llm_call_post: { reservation_id: reservation, unit, outcome: 'SUCCESS', estimated_amount_atomic: '1200' },
  });
  stream.end();
}));

client.close();
