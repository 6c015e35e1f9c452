import AgentCacheCore

/// Inputs shared by the benchmarks: realistic request and answer bytes, and a key set.
/// Built once per process (global `let`s are lazy and thread-safe) and never mutated.
enum Fixtures {
    /// A typical `POST /api/cache/get` body for a chat request (~600 bytes): system prompt,
    /// one user turn, temperature and a few generation parameters, keys in client order.
    static let chatGetBody: [UInt8] = {
        let body = #"""
            {"namespace":"support-bot","provider":"openai","model":"gpt-4o-mini","messages":[\#
            {"role":"system","content":"You are a concise support assistant for Acme Cloud. Answer in plain English, cite the relevant docs page, and never invent prices."},\#
            {"role":"user","content":"How do I rotate the API key for my production project without downtime? We have three services using the same key and a cron job that runs every five minutes."}],\#
            "temperature":0.2,"params":{"max_tokens":512,"top_p":1,"presence_penalty":0,"response_format":{"type":"text"},"stop":["\n\nUser:"]}}
            """#
        return Array(body.utf8)
    }()

    /// The namespace the key benchmarks derive keys in (built once: the server builds it per request,
    /// but the brief measures parse + key derivation).
    static let namespace = CacheNamespace(tenant: "default", name: "support-bot")

    /// A realistic 4 KiB (exactly 4096 bytes) OpenAI-style chat-completion answer: JSON envelope plus
    /// English prose with the repetition real model output has (recurring phrases, list structure).
    /// Neither random (incompressible) nor all-zero (trivially compressible), so LZ4 sees a typical ratio.
    static let llmAnswer4KiB: [UInt8] = {
        let prose = """
            Rotating an API key without downtime is mostly a matter of overlapping the old and the new key. \
            Here is a step-by-step approach that works well for most teams:\\n\\n\
            1. **Create a second key.** In the Acme Cloud console, open your production project, go to \
            Settings > API Keys and click Create key. Give it a descriptive name such as prod-2024-rotation. \
            Both keys are now valid at the same time.\\n\
            2. **Roll the new key out to each service.** Update the secret in your secret manager and redeploy \
            the first service. Check its logs to confirm that requests succeed with the new key, then repeat \
            the same steps for the second service and the third service.\\n\
            3. **Update the cron job.** Because the cron job runs every five minutes, update its secret right \
            after a run has finished, so the next run picks up the new key. Check the next run's logs to \
            confirm that it succeeds with the new key.\\n\
            4. **Watch the usage of the old key.** The API Keys page shows the last time each key was used. \
            Wait until the old key has not been used for at least one full cron interval, ideally for an hour.\\n\
            5. **Revoke the old key.** Once nothing uses the old key any more, revoke it. Requests that still \
            use it will now fail with a 401 error, so keep an eye on your error rates for a few minutes.\\n\\n\
            A few tips to make the next rotation easier:\\n\
            - Store the key in one place, such as a secret manager, and have every service read it from there.\\n\
            - Give every service its own key, so that you can rotate the key of one service without touching \
            the other services.\\n\
            - Automate the rotation with the Keys API, so that the same steps run the same way every time.\\n\\n\
            See the docs page Managing API keys (docs/security/api-keys) for the details of each step. \
            If you want, I can write a small script that creates the new key, updates the secret in your \
            secret manager and checks the usage of the old key for you. Let me know which secret manager \
            you use and which language you prefer, and I will adapt the script to your setup. \
            Rotating keys regularly, for example every ninety days, is a good habit: it limits the damage a \
            leaked key can do, and it keeps the rotation steps familiar to the whole team.
            """
        let head = #"{"id":"chatcmpl-9xQ2bT7Lk4VwZp1RfHcD8sNmY3aE","object":"chat.completion","created":1731456000,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":""#
        let tail = #""},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":96,"completion_tokens":702,"total_tokens":798},"system_fingerprint":"fp_0ba0d124f1"}"#
        let target = 4096
        let room = target - head.utf8.count - tail.utf8.count
        var content = Array(prose.utf8)
        // Repeat the prose if it is too short, then cut to size without leaving half an escape.
        while content.count < room { content += Array(" ".utf8) + Array(prose.utf8) }
        content = Array(content.prefix(room))
        while content.last == UInt8(ascii: "\\") || content.last == UInt8(ascii: " ") {
            content.removeLast()
        }
        while content.count < room { content.append(UInt8(ascii: ".")) }
        let answer = Array(head.utf8) + content + Array(tail.utf8)
        precondition(answer.count == target, "answer fixture is \(answer.count) bytes, expected \(target)")
        return answer
    }()

    /// Number of distinct entries the edge and dictionary benchmarks hold.
    static let keyCount = 100_000
    /// Payload size of each of those entries.
    static let valueBytes = 1024

    /// `keyCount` keys derived the way the server derives object keys, so their bits are
    /// real XXH3-128 output (the stripe and bucket choice depend on that).
    static let keys: [CacheKey] = (0..<keyCount).map { index in
        KeyMaterial.object(namespace: namespace, generation: 0, identity: "object-\(index)").key
    }

    /// Fixed "now" for every edge call; entries live a week past it, so none expires mid-run.
    static let now: Int64 = SystemClock().nowMillis()

    /// One entry per key, each with its own 1 KiB payload (distinct buffers, like real answers).
    static let entries: [CacheEntry] = (0..<keyCount).map { index in
        var payload = [UInt8](repeating: UInt8(ascii: "a") &+ UInt8(truncatingIfNeeded: index % 26), count: valueBytes)
        payload[0] = UInt8(ascii: "\"")
        payload[valueBytes - 1] = UInt8(ascii: "\"")
        return CacheEntry(
            value: StoredValue(bytes: payload, encoding: .raw, rawLength: valueBytes),
            createdAtMillis: now,
            expiresAtMillis: now + 7 * 86_400_000
        )
    }
}
