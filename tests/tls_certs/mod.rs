//! Certificates made at test time: a CA and server certificates it signs.

#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;

use anyio::streams::tls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use anyio::streams::tls::rustls::{ClientConfig, RootCertStore, ServerConfig};
use anyio::streams::tls::{client_config, server_config};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

/// A certificate authority that signs server certificates.
pub struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Ca {
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Self { cert, key }
    }

    pub fn pem(&self) -> String {
        self.cert.pem()
    }

    pub fn roots(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots.add(self.cert.der().clone()).unwrap();
        roots
    }

    pub fn client(&self) -> Arc<ClientConfig> {
        Arc::new(client_config(self.roots()))
    }

    /// A certificate for `names`, signed by this CA, with its key.
    pub fn issue(&self, names: &[&str]) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        let names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
        let params = CertificateParams::new(names).unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.cert, &self.key).unwrap();
        let key = PrivateKeyDer::Pkcs8(key.serialize_der().into());
        (vec![cert.der().clone()], key)
    }

    pub fn server(&self, names: &[&str]) -> ServerConfig {
        let (chain, key) = self.issue(names);
        server_config(chain, key).unwrap()
    }
}
