"""GraphQL, whatever carries it: an SDL schema read at start-up, thin resolvers, the documents'
preparation and limits, and how a GraphQL error becomes the API's. Its HTTP and WebSocket
endpoints are in `web`, with the rest of the server's transports."""
