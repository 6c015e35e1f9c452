/// A command that could not do its work although its flags were fine (the data directory
/// cannot be opened, a key file is damaged, the server cannot be reached): one line on
/// stderr, exit 1, and no pointer to `--help`, which cannot help. Flag errors stay
/// `ValidationError`s (exit 64, with the pointer).
struct CommandFailure: Error, CustomStringConvertible {
    /// The one-line reason.
    let description: String

    init(_ description: String) { self.description = description }
}
