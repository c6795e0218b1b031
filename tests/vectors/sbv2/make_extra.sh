#!/bin/sh
# Makes the extra SBv2 vectors (run in tests/vectors/sbv2): ESPSECURE=espsecure.py WEBOTA=build/webota ./make_extra.sh
# The P-192 key and the webota_signed RSA image come out different on each run (new key, random PSS salt).
set -eu
ESPSECURE=${ESPSECURE:?path of espsecure}
WEBOTA=${WEBOTA:?path of webota}
$WEBOTA image make --chip esp32c3 --project sig-demo --version 2.0.0 --secure-version 1 --size 20000 --seed 3 -o webota_esp32c3.bin
$ESPSECURE generate_signing_key --version 2 --scheme ecdsa192 keys/p192.pem
$ESPSECURE extract_public_key --version 2 --keyfile keys/p192.pem keys/p192.pub.pem
$ESPSECURE digest_sbv2_public_key --keyfile keys/p192.pub.pem --output keys/p192.digest.bin
python3 -c 'import sys;print(open(sys.argv[1],"rb").read().hex())' keys/p192.digest.bin > keys/p192.digest.hex
$ESPSECURE sign_data --version 2 --keyfile keys/rsa3072.pem --output webota_esp32c3.sbv2_rsa3072.bin webota_esp32c3.bin
$ESPSECURE sign_data --version 2 --keyfile keys/p256_a.pem --output webota_esp32c3.sbv2_p256.bin webota_esp32c3.bin
$ESPSECURE sign_data --version 2 --keyfile keys/p384.pem --output webota_esp32c3.sbv2_p384.bin webota_esp32c3.bin
$ESPSECURE sign_data --version 2 --keyfile keys/p256_a.pem keys/rsa3072.pem keys/p384.pem --output webota_esp32c3.sbv2_3keys.bin webota_esp32c3.bin
$ESPSECURE sign_data --version 2 --keyfile keys/p192.pem --output esp32c6_small.sbv2_p192.bin ../image/esp32c6_small.bin
python3 - <<'PY'
import zlib, struct
d = bytearray(open("webota_esp32c3.sbv2_p256.bin", "rb").read())
s = len(d) - 4096
# block 0 moved to slot 1, slot 0 left 0xFF
m = bytearray(d); m[s+1216:s+2432] = d[s:s+1216]; m[s:s+1216] = b"\xff" * 1216
open("webota_esp32c3.sbv2_p256.block_in_slot1.bin", "wb").write(m)
# version byte 3 -> 4, CRC recomputed
v = bytearray(d); v[s+1] = 4; v[s+1196:s+1200] = struct.pack("<I", zlib.crc32(bytes(v[s:s+1196])))
open("webota_esp32c3.sbv2_p256.bad_version.bin", "wb").write(v)
PY
for k in p256_a p384 rsa3072; do
    $WEBOTA image sign --key keys/$k.pem webota_esp32c3.bin -o webota_esp32c3.webota_signed_$k.bin
done
