import Logging
import SkiffPKI
import SkiffStore

/// Several servers on one datastore share the CAs and the service-account key (k3s' bootstrap data): the first server
/// seals its files with the token's secret into the datastore; a server that starts later with the same token takes
/// them from there before it loads its PKI, so every server presents the same CA and verifies the same tokens and
/// client certificates. Serving and admin certificates stay each server's own.
enum ClusterBootstrap {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Before the PKI loads: installs the datastore's bundle for `secret` into `tlsDirectory`. Returns true when there
    /// was none, so this server publishes its own once prepared.
    static func adopt(store: any KeyValueStore, tlsDirectory: String, secret: String?, logger: Logger) async throws
        -> Bool
    {
        guard let secret else {
            // No token given: fine for the first server only.
            let existing = try await store.list(ListRequest(prefix: "/bootstrap/", limit: 1))
            guard existing.items.isEmpty else {
                throw Failure(
                    description: "the datastore already holds a cluster: start this server with its token "
                        + "(--token, or server/token of the first server)")
            }
            return true
        }
        guard let sealed = try await store.get(BootstrapBundle.storeKey(secret: secret)) else {
            let others = try await store.list(ListRequest(prefix: "/bootstrap/", limit: 1))
            guard others.items.isEmpty else {
                throw Failure(
                    description: "the datastore holds another cluster (its bootstrap data is not under this token): "
                        + "start this server with that cluster's --token")
            }
            return true
        }
        do {
            let files = try BootstrapBundle.open(sealed.value, secret: secret)
            if try BootstrapBundle.install(files, directory: tlsDirectory) {
                logger.info("took the cluster's CA and service-account key from the datastore")
            }
        } catch let error as BootstrapBundle.Error {
            throw Failure(description: error.description)
        }
        return false
    }

    /// After the PKI loaded (and made what was missing): seals this server's shared files into the datastore.
    static func publish(store: any KeyValueStore, tlsDirectory: String, secret: String, logger: Logger) async throws {
        let sealed = try BootstrapBundle.seal(try BootstrapBundle.read(directory: tlsDirectory), secret: secret)
        do {
            _ = try await store.create(BootstrapBundle.storeKey(secret: secret), value: sealed)
            logger.info("stored the cluster's CA and service-account key in the datastore, sealed with the token")
        } catch {
            guard error.code == .keyExists else { throw error }
            throw Failure(
                description: "another server initialized this datastore at the same moment: restart this server to "
                    + "join its cluster")
        }
    }
}
