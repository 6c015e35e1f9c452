import AgentCacheCore
import Benchmark

/// Key derivation: what every get/set pays before touching a tier.
func registerKeyBenchmarks() {
    // ~1-10 µs per key: 1000 keys per iteration keeps timer overhead negligible.
    let configuration = Benchmark.Configuration(scalingFactor: .kilo)

    // Full path as a request takes it: strict JSON parse + validation of the body, canonical
    // JSON of messages/params into the framed key material, then XXH3-128.
    Benchmark("Key: canonical JSON + XXH3-128 (chat request)", configuration: configuration) { benchmark in
        let body = Fixtures.chatGetBody
        let namespace = Fixtures.namespace
        body.withUnsafeBytes { bytes in
            for _ in benchmark.scaledIterations {
                do {
                    let lookup = try CacheRequestParser.lookup(bytes)
                    let material = KeyMaterial.chat(namespace: namespace, generation: 0, fields: lookup.fields)
                    blackHole(material.key)
                } catch {
                    benchmark.error("fixture body was rejected: \(error)")
                    return
                }
            }
        }
    }

    // Only the key half: fields already parsed, so this isolates canonicalisation + hashing.
    Benchmark("Key: KeyMaterial + XXH3-128 only (pre-parsed chat fields)", configuration: configuration) { benchmark, fields in
        let namespace = Fixtures.namespace
        for _ in benchmark.scaledIterations {
            blackHole(KeyMaterial.chat(namespace: namespace, generation: 0, fields: fields).key)
        }
    } setup: {
        try Fixtures.chatGetBody.withUnsafeBytes { bytes in try CacheRequestParser.lookup(bytes).fields }
    }
}
