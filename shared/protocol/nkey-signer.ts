import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import type { Authenticator } from '@nats-io/transport-node';
import { Codec } from '@nats-io/nkeys/lib/codec.js';

/** The DER header of a PKCS#8 Ed25519 private key; the key's 32-byte seed follows it. */
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * Signs the server's connect nonce with an nkey seed through Node's own Ed25519 (OpenSSL).
 * nats.js's nkeyAuthenticator signs with tweetnacl in pure JavaScript: 12–23 ms of CPU per
 * signature and as much again for the public key, on every connect and reconnect (measured here),
 * which was a third of the time before a sweep's first cell starts. Ed25519 is deterministic, so
 * the signatures are the same bytes (tested against the library).
 */
export class NkeySigner {
  private readonly key: KeyObject;
  /** The public nkey (`U…` for a user), as the server expects it in CONNECT. */
  readonly publicKey: string;

  constructor(seed: string) {
    const { buf, prefix } = Codec.decodeSeed(new TextEncoder().encode(seed));
    this.key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, buf]), format: 'der', type: 'pkcs8' });
    const raw = Buffer.from(createPublicKey(this.key).export({ format: 'jwk' }).x ?? '', 'base64url');
    this.publicKey = new TextDecoder().decode(Codec.encode(prefix, raw));
  }

  /** The signature of `nonce`, base64 as nats.js sends it. */
  sign(nonce: string): string {
    return sign(null, Buffer.from(nonce, 'utf8'), this.key).toString('base64');
  }
}

/** nats.js's nkeyAuthenticator, signing through NkeySigner (the key is decoded once). */
export function nkeySeedAuthenticator(seed: string): Authenticator {
  const signer = new NkeySigner(seed);
  return (nonce?: string) => ({ nkey: signer.publicKey, sig: nonce ? signer.sign(nonce) : '' });
}
