//! Signed checkpoints: the server signs each ledger entry's hash with an Ed25519 key kept
//! outside the database, so a chain re-sealed by someone who can write the database, but
//! does not hold the key, fails `jiesu verify --public-key`.

use std::path::Path;

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};

/// Domain separation: a signature over a ledger hash means nothing elsewhere.
const CONTEXT: &[u8] = b"jiesu-ledger-checkpoint-v1\0";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read key `{path}`: {message}; hint: make one with `jiesu keygen --out {path}`")]
    Read { path: String, message: String },
    #[error("cannot write key `{path}`: {message}")]
    Write { path: String, message: String },
    #[error("no randomness from the operating system: {0}")]
    Random(String),
}

/// The id a key's signatures carry: the first 16 hex digits of its public key's sha256.
pub fn key_id(key: &VerifyingKey) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..8])
}

fn message(hash: &str) -> Vec<u8> {
    [CONTEXT, hash.as_bytes()].concat()
}

/// The server's signing key.
pub struct Signer {
    key: SigningKey,
    id: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// Reads a PKCS#8 PEM private key (as `jiesu keygen` writes it).
    pub fn read(path: &Path) -> Result<Self, KeyError> {
        let error = |message: String| KeyError::Read {
            path: path.display().to_string(),
            message,
        };
        let pem = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
        let key = SigningKey::from_pkcs8_pem(&pem).map_err(|e| error(e.to_string()))?;
        let id = key_id(&key.verifying_key());
        Ok(Self { key, id })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// A verifier for this key's signatures: what the server checks a ticket's ledger
    /// entries with when it shows the ticket's chain.
    pub fn verifier(&self) -> Verifier {
        Verifier {
            keys: vec![(self.id.clone(), self.key.verifying_key())],
        }
    }

    /// The signature over a ledger entry's hash, hex.
    pub fn sign(&self, hash: &str) -> String {
        hex::encode(self.key.sign(&message(hash)).to_bytes())
    }
}

/// The public keys `verify` accepts signatures from.
#[derive(Debug, Clone, Default)]
pub struct Verifier {
    keys: Vec<(String, VerifyingKey)>,
}

impl Verifier {
    /// Reads SPKI PEM public keys (as `jiesu keygen` writes them, `*.pub`).
    pub fn read(paths: &[impl AsRef<Path>]) -> Result<Self, KeyError> {
        let mut keys = Vec::new();
        for path in paths {
            let path = path.as_ref();
            let error = |message: String| KeyError::Read {
                path: path.display().to_string(),
                message,
            };
            let pem = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
            let key = VerifyingKey::from_public_key_pem(&pem).map_err(|e| error(e.to_string()))?;
            keys.push((key_id(&key), key));
        }
        Ok(Self { keys })
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether `signature` by key `key_id` signs `hash`.
    pub fn check(&self, key_id: &str, hash: &str, signature: &str) -> Result<(), String> {
        let Some((_, key)) = self.keys.iter().find(|(id, _)| id == key_id) else {
            return Err(format!(
                "signed by key {key_id}, which is not among the given public keys"
            ));
        };
        let bytes: [u8; 64] = hex::decode(signature)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or("its signature is not 64 bytes of hex")?;
        key.verify(&message(hash), &Signature::from_bytes(&bytes))
            .map_err(|_| {
                "its signature does not match: signed by someone without the key".to_owned()
            })
    }
}

/// Makes a key pair: the private key at `out` (mode 0600), the public one at `out.pub`.
/// Returns the key id.
pub fn keygen(out: &Path) -> Result<String, KeyError> {
    let write_error = |path: &Path, message: String| KeyError::Write {
        path: path.display().to_string(),
        message,
    };
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| KeyError::Random(e.to_string()))?;
    let key = SigningKey::from_bytes(&secret);
    let private = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| write_error(out, e.to_string()))?;
    let public = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| write_error(out, e.to_string()))?;
    write_private(out, private.as_bytes()).map_err(|e| write_error(out, e.to_string()))?;
    let public_path = public_path(out);
    std::fs::write(&public_path, public).map_err(|e| write_error(&public_path, e.to_string()))?;
    Ok(key_id(&key.verifying_key()))
}

/// Where `keygen` puts the public half of `private`.
pub fn public_path(private: &Path) -> std::path::PathBuf {
    let mut name = private.as_os_str().to_owned();
    name.push(".pub");
    name.into()
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_with_its_key_and_hash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.key");
        let id = keygen(&path).unwrap();
        let signer = Signer::read(&path).unwrap();
        assert_eq!(signer.id(), id);
        let verifier = Verifier::read(&[public_path(&path)]).unwrap();
        let signature = signer.sign("abc");
        assert!(verifier.check(&id, "abc", &signature).is_ok());
        assert!(verifier.check(&id, "abd", &signature).is_err());
        assert!(verifier.check("other", "abc", &signature).is_err());
        // keygen never overwrites a key.
        assert!(keygen(&path).is_err());
    }
}
