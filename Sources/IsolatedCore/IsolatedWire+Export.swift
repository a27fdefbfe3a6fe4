// The wire types (errors, reports, the runner protocol) come with the core types: public ones
// are part of the SDK's API, the protocol itself is `package`.
@_exported public import IsolatedWire
