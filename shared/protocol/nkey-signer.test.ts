import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createAccount, createUser, fromSeed } from '@nats-io/nkeys';
import { NkeySigner, nkeySeedAuthenticator } from './nkey-signer.js';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('NkeySigner', () => {
  test('gives the public key and signatures nats.js (tweetnacl) gives, for user and account seeds', () => {
    for (const kp of [createUser(), createUser(), createAccount()]) {
      const seed = text(kp.getSeed());
      const signer = new NkeySigner(seed);
      assert.equal(signer.publicKey, kp.getPublicKey());
      for (const nonce of ['', 'abc', 'tXG5Yk8fWl0kL2Vg', 'ünïcode nonce']) {
        const expected = Buffer.from(fromSeed(kp.getSeed()).sign(new TextEncoder().encode(nonce))).toString('base64');
        assert.equal(signer.sign(nonce), expected, `nonce ${JSON.stringify(nonce)}`);
        assert.ok(kp.verify(new TextEncoder().encode(nonce), Buffer.from(signer.sign(nonce), 'base64')));
      }
    }
  });

  test('the authenticator answers a nonce with the public key and its signature', () => {
    const kp = createUser();
    const auth = nkeySeedAuthenticator(text(kp.getSeed()))('n0nce') as { nkey: string; sig: string };
    assert.equal(auth.nkey, kp.getPublicKey());
    assert.ok(kp.verify(new TextEncoder().encode('n0nce'), Buffer.from(auth.sig, 'base64')));
  });

  test('a malformed seed is refused', () => {
    assert.throws(() => new NkeySigner('SUNOTASEED'));
  });
});
