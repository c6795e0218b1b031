// The page's own SHA-256, HMAC-SHA-256 and PBKDF2 (web/index.html, between
// /*crypto*/ and /*crypto-end*/), run in Node against published vectors
// (FIPS 180-2, RFC 4231, RFC 7914), against Node's crypto module for every
// length 0..300 (all the padding boundaries) and against the C side's login
// mac (tests/unit/test_crypto_mac.c). Usage: node crypto.test.js web/index.html
'use strict';
const fs = require('fs');
const vm = require('vm');
const nc = require('crypto');

const page = fs.readFileSync(process.argv[2], 'utf8');
const a = page.indexOf('/*crypto*/'), b = page.indexOf('/*crypto-end*/');
if (a < 0 || b < a) { console.error('no /*crypto*/ section in the page'); process.exit(1); }
const ctx = { Uint8Array, Math, TextEncoder, parseInt };
vm.createContext(ctx);
vm.runInContext(page.slice(a, b) + ';this.f={sha256,hmac,pbkdf2,hex,unhex,utf8};', ctx);
const { sha256, hmac, pbkdf2, hex, unhex, utf8 } = ctx.f;

let failed = 0, passed = 0;
function eq(got, want, what) {
  if (got !== want) { failed++; console.log(`not ok - ${what}: got ${got}, want ${want}`); } else passed++;
}
const u8 = (buf) => new Uint8Array(buf);

eq(hex(sha256(utf8(''))), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'sha256("")');
eq(hex(sha256(utf8('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'sha256("abc")');
eq(hex(sha256(utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))),
   '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1', 'sha256 two blocks');
eq(hex(sha256(u8(Buffer.alloc(1000000, 'a')))), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0', 'sha256 of a million a');
for (let n = 0; n <= 300; n++) {
  const m = nc.randomBytes(n);
  eq(hex(sha256(u8(m))), nc.createHash('sha256').update(m).digest('hex'), `sha256 of ${n} random bytes`);
  const k = nc.randomBytes(n % 150);
  eq(hex(hmac(u8(k), u8(m))), nc.createHmac('sha256', k).update(m).digest('hex'), `hmac with a ${k.length}-byte key over ${n} bytes`);
}
eq(hex(hmac(utf8('Jefe'), utf8('what do ya want for nothing?'))),
   '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843', 'RFC 4231 case 2');
eq(hex(hmac(u8(Buffer.alloc(131, 0xaa)), utf8('Test Using Larger Than Block-Size Key - Hash Key First'))),
   '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54', 'RFC 4231 case 6');
eq(hex(pbkdf2(utf8('passwd'), utf8('salt'), 1)), '55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc', 'RFC 7914 PBKDF2 c=1');
eq(hex(pbkdf2(utf8('Password'), utf8('NaCl'), 80000)), '4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56', 'RFC 7914 PBKDF2 c=80000');
eq(hex(pbkdf2(utf8('pässwörd €'), unhex('000102030405060708090a0b0c0d0e0f'), 1000)),
   nc.pbkdf2Sync(Buffer.from('pässwörd €'), Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex'), 1000, 32, 'sha256').toString('hex'),
   'PBKDF2 of a UTF-8 password');
// the login mac of tests/unit/test_crypto_mac.c: the same bytes as the C side
const key = u8(Buffer.from(Array.from({ length: 32 }, (_, i) => 0x20 + i)));
eq(hex(hmac(key, utf8('00112233445566778899aabbccddeeff\nPOST\n/api/update?force=1'))),
   '69746a0482e3994b2e4076d44b5f12346eecf55902664ffc999459aa62141796', 'login mac as the C side computes it');
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
