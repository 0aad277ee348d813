/**
 * RDP with NLA (CredSSP): xrdp never offers it, so this server replays bytes built from [MS-RDPBCGR] and [MS-CSSP]
 * behind a real TLS upgrade: an X.224 confirm selecting HYBRID, a TLS handshake, then a TSRequest whose negoToken is
 * an NTLM CHALLENGE ([MS-NLMP] 2.2.1.2). A request for standard RDP security gets HYBRID_REQUIRED_BY_SERVER.
 */
import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { readFileSync } from 'node:fs';
import { TLSSocket } from 'node:tls';
import { rdpConfirm, rdpFailure, tsRequestChallenge } from '../fixtures/protocol-samples.js';
import { selfSignedCertificate } from '../fixtures/lab/tls.js';
import { runProbe } from '../probes/core/probe.js';
import { PROBES } from '../probes/registry.js';
import { tsRequest } from '../probes/rdp/codec.js';

test('the TSRequest the probe sends ([MS-CSSP] 2.2.1)', (t) => {
  const token = Buffer.from('NTLMSSP\0token');
  const req = tsRequest(token);
  t.deepEqual([...req.subarray(0, 7)], [0x30, req.length - 2, 0xa0, 0x03, 0x02, 0x01, 0x06]);
  t.true(req.subarray(req.length - token.length).equals(token));
});

test('an NLA server reveals its names, domain and OS build through the CredSSP NTLM challenge', async (t) => {
  const cert = await selfSignedCertificate(mkdtempSync(`${tmpdir()}/surveyor-nla-`), 'nla', 'srv01.corp.example', '127.0.0.1');
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', (request: Buffer) => {
      const requested = request.readUInt32LE(15);
      if ((requested & 0x02) === 0) return socket.end(rdpFailure(5));
      socket.write(rdpConfirm(0x02));
      const secure = new TLSSocket(socket, { isServer: true, key: readFileSync(cert.keyFile), cert: readFileSync(cert.certFile) });
      secure.on('error', () => {});
      secure.once('data', () => secure.write(tsRequestChallenge()));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const outcome = await runProbe(PROBES.rdp, '127.0.0.1', (server.address() as { port: number }).port, { timeoutMs: 3000 });
  t.is(outcome.status, 'success', outcome.error);
  const attr = (name: string) => outcome.evidence.find((e) => e.kind === 'attribute' && e.name === name);
  t.like(attr('rdp.selected-protocol'), { value: 'HYBRID' });
  t.like(attr('rdp.nla-required'), { value: 'yes' });
  t.like(attr('ntlm.netbios-computer'), { value: 'SRV01' });
  t.like(attr('ntlm.dns-domain'), { value: 'corp.example' });
  t.like(attr('ntlm.os-version'), { value: '10.0.17763' });
  t.true(outcome.evidence.some((e) => e.kind === 'hostname' && e.name === 'srv01.corp.example'));
  t.true(outcome.evidence.some((e) => e.kind === 'tls' && e.subject.includes('srv01.corp.example')));
});
