// The app's code under test: how the frontend asks for a talking avatar and reads its video.

export class ApiError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

async function graphql<T>(apiUrl: string, apiKey: string, query: string, variables: object): Promise<T> {
  const response = await fetch(`${apiUrl}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ query, variables }),
  });
  const { data, errors } = await response.json() as { data?: T; errors?: { message: string; extensions: { code: string } }[] };
  if (errors?.length) throw new ApiError(errors[0]!.extensions.code, errors[0]!.message);
  return data!;
}

export async function requestAvatar(apiUrl: string, apiKey: string, text: string): Promise<string> {
  const { generateAvatar } = await graphql<{ generateAvatar: { id: string } }>(apiUrl, apiKey,
    'mutation Make($input: AvatarGenerationInput!) { generateAvatar(input: $input) { id } }',
    { input: { service: 'hedra', text, avatarId: 'professional-1' } });
  return generateAvatar.id;
}

/** The video's URL once the job has completed; null while it is on its way. */
export async function videoOf(apiUrl: string, apiKey: string, id: string): Promise<string | null> {
  const { generation } = await graphql<{ generation: { status: string; videoUrl: string | null; error: { message: string } | null } }>(
    apiUrl, apiKey, 'query Job($id: ID!) { generation(id: $id) { status videoUrl error { message } } }', { id });
  if (generation.status === 'failed') throw new ApiError('GENERATION_FAILED', generation.error?.message ?? 'failed');
  return generation.videoUrl;
}
