"""Tokens are for every language: PyJWT (the most used JWT library outside
JavaScript) verifies the tokens permsnap issues with permsnap's JWKS, and
permsnap verifies tokens PyJWT signs, both with `alg: EdDSA` (what permsnap
writes by default). Run by scripts/test.sh with PERMSNAP_BIN set to the CLI.
"""

import json
import os
import subprocess
import tempfile
import unittest

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("PERMSNAP_BIN", os.path.join(ROOT, "target", "debug", "permsnap"))
DIRECTORY = os.path.join(ROOT, "src", "server", "demo", "crm-directory.json")
NOW = "2026-11-23T12:00:00Z"
NOW_SECS = 1_795_435_200


def permsnap(*args):
    out = subprocess.run([BIN, *args], capture_output=True, text=True, cwd=ROOT, check=False)
    return out.returncode, json.loads(out.stdout)


class PyJwtInterop(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="permsnap-pyjwt-")
        code, self.keys = permsnap("keygen", "--kid", "py-interop")
        self.assertEqual(code, 0)
        self.key_file = self.write("key.json", self.keys)
        self.jwks_file = self.write("jwks.json", self.keys["jwks"])

    def write(self, name, value):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(value if isinstance(value, str) else json.dumps(value))
        return path

    def issue(self, *extra):
        code, out = permsnap(
            "issue", "--catalog", "smartico-crm", "--directory", DIRECTORY, "--user", "sue",
            "--key", self.key_file, "--now", NOW, "--ttl", "600", *extra)
        self.assertEqual(code, 0, out)
        return out["token"]

    def test_pyjwt_verifies_a_permsnap_token_with_the_permsnap_jwks(self):
        token = self.issue()
        jwks = jwt.PyJWKSet.from_dict(self.keys["jwks"])
        header = jwt.get_unverified_header(token)
        self.assertEqual(header["alg"], "EdDSA")
        claims = jwt.decode(
            token, jwks[header["kid"]].key, algorithms=["EdDSA"], audience="backoffice",
            issuer="permsnap", options={"verify_exp": False, "verify_iat": False})
        self.assertEqual(claims["sub"], "sue")
        self.assertIsInstance(claims["iat"], int)
        self.assertIsInstance(claims["exp"], int)
        self.assertEqual(claims["exp"] - claims["iat"], 600)
        self.assertEqual(claims["psnap"]["v"], 2)

    def test_pyjwt_refuses_a_permsnap_token_edited_after_signing(self):
        h, p, s = self.issue().split(".")
        payload = json.loads(jwt.utils.base64url_decode(p))
        payload["psnap"]["o"] = 1
        forged = ".".join([h, jwt.utils.base64url_encode(json.dumps(payload).encode()).decode(), s])
        key = jwt.PyJWKSet.from_dict(self.keys["jwks"])["py-interop"].key
        with self.assertRaises(jwt.InvalidSignatureError):
            jwt.decode(forged, key, algorithms=["EdDSA"], audience="backoffice",
                       options={"verify_exp": False, "verify_iat": False})

    def pyjwt_token(self, claims, kid="py-key"):
        private = Ed25519PrivateKey.generate()
        public = json.loads(OKPAlgorithm.to_jwk(private.public_key()))
        public.update({"kid": kid, "alg": "EdDSA", "use": "sig"})
        token = jwt.encode(claims, private, algorithm="EdDSA",
                           headers={"kid": kid, "typ": "permsnap+jwt"})
        return token, self.write(f"{kid}-jwks.json", {"keys": [public]})

    def test_permsnap_verifies_a_token_pyjwt_signs(self):
        issued = self.issue()
        claims = json.loads(jwt.utils.base64url_decode(issued.split(".")[1]))
        token, jwks = self.pyjwt_token(claims)
        code, out = permsnap("verify", "--token", token, "--jwks", jwks, "--now", NOW,
                             "--catalog", "smartico-crm")
        self.assertEqual(code, 0, out)
        self.assertEqual(out["claims"]["sub"], "sue")
        self.assertEqual(out["kid"], "py-key")
        self.assertEqual(out["claims"]["exp"], NOW_SECS + 600)

    def test_permsnap_refuses_a_pyjwt_token_under_a_key_of_another_jwks(self):
        issued = self.issue()
        claims = json.loads(jwt.utils.base64url_decode(issued.split(".")[1]))
        token, _ = self.pyjwt_token(claims, kid="py-interop")
        code, out = permsnap("verify", "--token", token, "--jwks", self.jwks_file, "--now", NOW)
        self.assertEqual(code, 2)
        self.assertEqual(out["error"]["code"], "bad_signature")


if __name__ == "__main__":
    unittest.main(verbosity=2)
