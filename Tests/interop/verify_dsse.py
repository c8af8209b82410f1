#!/usr/bin/env python3
"""Verifies a Shoal DSSE envelope with securesystemslib, an implementation independent of
Shoal's own: usage verify_dsse.py ENVELOPE.json PUBKEY_BASE64 [PUBKEY_BASE64 ...] --threshold N.
Prints the payload type and the key ids that verified; exits 1 when verification fails."""
import argparse
import base64
import hashlib
import json
import sys

from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey


def key_for(public_b64: str) -> SSlibKey:
    raw = base64.b64decode(public_b64)
    # Shoal's key id: "sha256:" + hex of SHA-256 over the raw 32-byte Ed25519 public key.
    keyid = "sha256:" + hashlib.sha256(raw).hexdigest()
    return SSlibKey(keyid, "ed25519", "ed25519", {"public": raw.hex()})


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("envelope")
    parser.add_argument("keys", nargs="+")
    parser.add_argument("--threshold", type=int, default=1)
    args = parser.parse_args()
    with open(args.envelope, encoding="utf-8") as handle:
        envelope = Envelope.from_dict(json.load(handle))
    try:
        verified = envelope.verify([key_for(k) for k in args.keys], args.threshold)
    except Exception as error:  # securesystemslib raises VerificationError and friends
        print(f"FAILED: {error}")
        return 1
    print(envelope.payload_type)
    for keyid in sorted(verified):
        print(keyid)
    return 0


if __name__ == "__main__":
    sys.exit(main())
