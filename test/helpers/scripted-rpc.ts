/**
 * A DCE/RPC peer that answers from a script: each entry is an opnum, the exact request stub expected (built from the
 * specification, fixtures/msrpc-stubs.ts) and the response stub (or a fault) to send back. A request that matches no
 * entry is recorded in `unexpected` and answered with a fault, so a test sees both what was sent and that it was
 * wrong. Runs on the in-process FakeServer (test/helpers/fake-rpc.ts) through a real RpcClient: bind, PDUs and
 * fragments included.
 */
import { RpcClient } from '../../enum/dcerpc/client.js';
import type { SyntaxId } from '../../enum/dcerpc/pdu.js';
import { FakeServer, type Handler } from './fake-rpc.js';

export type ScriptEntry = readonly [opnum: number, request: Buffer, response: Buffer | { fault: number }];

export interface Scripted {
  readonly client: RpcClient;
  /** Every call, in order. */
  readonly calls: Array<{ opnum: number; stub: Buffer }>;
  /** Calls that matched no entry: "opnum N: <hex>". */
  readonly unexpected: string[];
}

/** nca_s_fault_unspec: what an unscripted request gets. */
const UNSCRIPTED_FAULT = 0x1c000012;

export async function scripted(abstract: SyntaxId, script: readonly ScriptEntry[], options: { fragments?: number } = {}): Promise<Scripted> {
  const calls: Array<{ opnum: number; stub: Buffer }> = [];
  const unexpected: string[] = [];
  const handler: Handler = (stub, opnum) => {
    calls.push({ opnum, stub: Buffer.from(stub) });
    const hit = script.find(([op, request]) => op === opnum && request.equals(stub));
    if (!hit) {
      unexpected.push(`opnum ${opnum}: ${stub.toString('hex')}`);
      return { fault: UNSCRIPTED_FAULT };
    }
    return hit[2];
  };
  const handlers = Object.fromEntries([...new Set(script.map(([op]) => op))].map((op) => [op, handler]));
  const client = new RpcClient(new FakeServer({ handlers, fragments: options.fragments }));
  await client.bind(abstract);
  return { client, calls, unexpected };
}
