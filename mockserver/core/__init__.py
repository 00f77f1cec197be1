"""The emulated service itself: accounts, credits, limits, jobs, webhooks, media, the clock.

Nothing in this package imports a web framework (a test checks it): the HTTP and GraphQL
surfaces translate the wire into calls of `Emulator` and its results back into the wire.
"""
