import Foundation
import SkiffCRI
import SkiffModel
import SkiffTesting
import Testing

@testable import SkiffAgent

/// A Secret as `kubectl create secret docker-registry` makes it (or the older dockercfg form).
func dockerSecret(_ name: String, _ auths: [String: (user: String, password: String)], legacy: Bool = false) -> JSON {
    var entries = JSONObject()
    for (location, credential) in auths.sorted(by: { $0.key < $1.key }) {
        let auth = Data("\(credential.user):\(credential.password)".utf8).base64EncodedString()
        _ = entries.updateValue(
            ["username": .string(credential.user), "password": .string(credential.password), "auth": .string(auth)],
            forKey: location)
    }
    let config: JSON = legacy ? .object(entries) : ["auths": .object(entries)]
    let key = legacy ? ".dockercfg" : ".dockerconfigjson"
    return [
        "apiVersion": "v1", "kind": "Secret", "metadata": ["name": .string(name), "namespace": "default"],
        "type": .string(legacy ? "kubernetes.io/dockercfg" : "kubernetes.io/dockerconfigjson"),
        "data": [key: .string(Data(config.serialized()).base64EncodedString())],
    ]
}

@Suite struct ImageRepositoryTests {
    @Test(arguments: [
        ("busybox", "docker.io/library/busybox"),
        ("busybox:1.36", "docker.io/library/busybox"),
        ("team/app:1", "docker.io/team/app"),
        ("docker.io/library/busybox:latest", "docker.io/library/busybox"),
        ("index.docker.io/team/app", "docker.io/team/app"),
        ("127.0.0.1:5000/e2e/box:1", "127.0.0.1:5000/e2e/box"),
        ("localhost/app@sha256:abc", "localhost/app"),
        ("registry.example:5000/a/b/c:v1@sha256:abc", "registry.example:5000/a/b/c"),
    ])
    func normalizesAsDockerDoes(image: String, repository: String) {
        #expect(ImageRepository(image)?.description == repository)
    }

    @Test func refusesEmptyComponents() {
        #expect(ImageRepository("") == nil)
        #expect(ImageRepository("a//b") == nil)
    }
}

@Suite struct DockerKeyringTests {
    let edge = AuthConfig(username: "edge", password: "pw")
    let team = AuthConfig(username: "team", password: "pw2")

    @Test(arguments: [
        ("registry.example", "registry.example"),
        ("https://registry.example", "registry.example"),
        ("http://registry.example:5000/", "registry.example:5000"),
        ("https://index.docker.io/v1/", "index.docker.io"),
        ("registry.example/v2/team", "registry.example/team"),
        ("registry.example/team/", "registry.example/team/"),
    ])
    func keysAsKubelet(location: String, key: String) {
        #expect(DockerKeyring.key(location) == key)
    }

    @Test func mostSpecificPathFirstThenHost() throws {
        var keyring = DockerKeyring()
        keyring.add("registry.example", edge)
        keyring.add("registry.example/team", team)
        let repository = try #require(ImageRepository("registry.example/team/app:1"))
        #expect(keyring.lookup(repository) == [team, edge])
        #expect(keyring.lookup(try #require(ImageRepository("registry.example/other/app"))) == [edge])
        // The key's path is a plain prefix, as kubelet's: team matches teamwork too.
        #expect(keyring.lookup(try #require(ImageRepository("registry.example/teamwork/app"))) == [team, edge])
        #expect(keyring.lookup(try #require(ImageRepository("registry.example:5000/team/app"))).isEmpty)
        #expect(keyring.lookup(try #require(ImageRepository("other.example/team/app"))).isEmpty)
    }

    @Test func globsInHostLabelsAndEqualPorts() throws {
        var keyring = DockerKeyring()
        keyring.add("*.example:5000", edge)
        #expect(keyring.lookup(try #require(ImageRepository("registry.example:5000/app"))) == [edge])
        #expect(keyring.lookup(try #require(ImageRepository("registry.example/app"))).isEmpty)
        #expect(keyring.lookup(try #require(ImageRepository("a.registry.example:5000/app"))).isEmpty)
    }

    @Test func dockerHubCredentialsServeHubImages() throws {
        var keyring = DockerKeyring()
        keyring.add("https://index.docker.io/v1/", edge)
        #expect(keyring.lookup(try #require(ImageRepository("busybox"))) == [edge])
        #expect(keyring.lookup(try #require(ImageRepository("registry.example/busybox"))).isEmpty)
        var direct = DockerKeyring()
        direct.add("docker.io", team)
        #expect(direct.lookup(try #require(ImageRepository("team/app"))) == [team])
    }

    @Test func readsBothSecretTypesInOrder() throws {
        let keyring = DockerKeyring(secrets: [
            dockerSecret("new", ["127.0.0.1:5000": ("edge", "pw")]),
            dockerSecret("old", ["http://127.0.0.1:5000": ("team", "pw2")], legacy: true),
        ])
        #expect(keyring.problems.isEmpty)
        #expect(keyring.lookup(try #require(ImageRepository("127.0.0.1:5000/e2e/box:1"))) == [edge, team])
    }

    @Test func authFieldWinsOverUserAndPassword() {
        let credential = DockerKeyring.credential(
            ["username": "ignored", "password": "ignored", "auth": .string(Data("u:p:q".utf8).base64EncodedString())])
        #expect(credential == AuthConfig(username: "u", password: "p:q"))
        #expect(DockerKeyring.credential(["auth": "not base64!"]) == nil)
        #expect(DockerKeyring.credential(["identitytoken": "t"]) == AuthConfig(identityToken: "t"))
    }

    @Test func unusableSecretsAreProblemsNotCredentials() {
        let keyring = DockerKeyring(secrets: [
            ["metadata": ["name": "opaque"], "type": "Opaque", "data": ["a": "Yg=="]],
            [
                "metadata": ["name": "broken"], "type": "kubernetes.io/dockerconfigjson",
                "data": [".dockerconfigjson": "e30K!"],
            ],
        ])
        #expect(keyring.keys.isEmpty)
        #expect(keyring.problems.count == 2)
        #expect(keyring.problems[1] == "secret broken has no valid .dockerconfigjson")
    }
}

@Suite struct ImagePullSecretPodTests {
    let image = "registry.example:5000/team/app:1"

    @Test("a pod's image pull secret is the pull's credentials; without it the pull fails, with it the pod runs")
    func pullWithSecret() async throws {
        let h = try PodManagerHarness()
        defer { h.directory.remove() }
        h.runtime.state.withLock { $0.pullCredentials[image] = AuthConfig(username: "edge", password: "pw") }
        h.api.put(
            "pods",
            PodFixture.pod(containers: [PodFixture.container("app", image: image)]) {
                $0["spec"]["imagePullSecrets"] = [["name": "regcred"]]
            })
        try await h.run {
            #expect(await h.advance { h.containerState()["waiting"]["reason"] == "ImagePullBackOff" })
            #expect(h.runtime.calls.contains("pullImage \(image)"))
            #expect(h.eventMessages().contains { $0.contains("Unable to retrieve some image pull secrets (regcred)") })
            #expect(h.eventMessages().contains { $0.contains("401 Unauthorized") })

            h.api.put("secrets", dockerSecret("regcred", ["https://registry.example:5000": ("edge", "pw")]))
            #expect(await h.advance { h.pod()?["status"]["phase"] == "Running" })
            #expect(h.runtime.calls.contains("pullImage \(image) as edge"))
        }
    }

    @Test("each matching credential is tried, most specific first, and no anonymous pull follows them")
    func triesEachMatchingCredential() async throws {
        let h = try PodManagerHarness()
        defer { h.directory.remove() }
        h.runtime.state.withLock { $0.pullCredentials[image] = AuthConfig(username: "host", password: "pw") }
        h.api.put("secrets", dockerSecret("a", ["registry.example:5000/team": ("team", "wrong")]))
        h.api.put("secrets", dockerSecret("b", ["registry.example:5000": ("host", "pw")]))
        h.api.put(
            "pods",
            PodFixture.pod(containers: [PodFixture.container("app", image: image)]) {
                $0["spec"]["imagePullSecrets"] = [["name": "b"], ["name": "a"]]
            })
        try await h.run {
            #expect(await h.advance { h.pod()?["status"]["phase"] == "Running" })
            let pulls = h.runtime.calls.filter { $0.hasPrefix("pullImage") }
            #expect(pulls == ["pullImage \(image) as team", "pullImage \(image) as host"])
        }
    }

    @Test("a failing secret's error is the pod's pull error")
    func wrongSecretFails() async throws {
        let h = try PodManagerHarness()
        defer { h.directory.remove() }
        h.runtime.state.withLock { $0.pullCredentials[image] = AuthConfig(username: "edge", password: "pw") }
        h.api.put("secrets", dockerSecret("regcred", ["registry.example:5000": ("edge", "wrong")]))
        h.api.put(
            "pods",
            PodFixture.pod(containers: [PodFixture.container("app", image: image)]) {
                $0["spec"]["imagePullSecrets"] = [["name": "regcred"]]
            })
        try await h.run {
            #expect(await h.advance { h.containerState()["waiting"]["reason"] == "ImagePullBackOff" })
            #expect(h.runtime.calls.filter { $0.hasPrefix("pullImage") }.allSatisfy { $0.hasSuffix(" as edge") })
            #expect(
                h.eventMessages().contains { $0.hasPrefix("Failed to pull image \"\(image)\"") && $0.contains("401") })
        }
    }
}
