// The GraphQL explorer: the vendored GraphiQL (3.8.3), a fetcher that speaks to the mock, and one
// tab per prefilled operation, each ready to run as it opens: its operation name is sent and its
// variables are filled. Tabs that take a job id follow the newest job (the one the Generate tabs
// just made, else the newest of the key at load).
import { request, subscribe } from '/static/gql-client.js';

const NO_JOB_YET = 'run the Generate tab first';
const LAST_JOB = 'doitong-explorer:last-job';
const HEADERS = JSON.stringify({ Authorization: 'Bearer YOUR_API_KEY' }, null, 2);
const json = (value) => JSON.stringify(value, null, 2);

const DOCUMENT_INPUT = {
  type: 'AVATAR', provider: 'hedra',
  input: { text: 'Hello, welcome to our platform!', avatarId: 'professional-1' },
  options: { voice: 'en-US-neural', language: 'en', version: 'hedra-1.0' },
};

export const TABS = [
  {
    query: `# The document's mutation. Run it, then open
# the Watch tab to follow the job live.
mutation Generate($input: GenerateInput!) {
  generate(input: $input) {
    id status type provider url metadata creditCost createdAt
  }
}
`,
    variables: json({ input: DOCUMENT_INPUT }),
  },
  {
    query: `# The document's flat shape; videoUrl is the output.
mutation GenerateAvatar($input: AvatarGenerationInput!) {
  generateAvatar(input: $input) { id status videoUrl creditCost createdAt }
}
`,
    variables: json({ input: { service: 'hedra', text: 'Hello, welcome to our platform!',
                               avatarId: 'professional-1', voice: 'en-US-neural' } }),
  },
  {
    query: `# Status and progress, live, until the job ends.
# $id follows your newest job; put another id
# in Variables to watch that one.
subscription Watch($id: ID!) {
  generationUpdated(id: $id) {
    id status progress url error { code message }
  }
}
`,
    variables: json({ id: NO_JOB_YET }),
  },
  {
    query: `# One job, in the document's envelope (data.avatar).
query Job($id: ID!) {
  avatar(id: $id) {
    id status url duration metadata creditCost
    createdAt completedAt error { code message }
  }
}
`,
    variables: json({ id: NO_JOB_YET }),
  },
  {
    query: `# Your jobs, newest first.
query Jobs {
  generations(first: 10) {
    totalCount
    nodes { id status creditCost createdAt }
    pageInfo { hasNextPage endCursor }
  }
}
`,
  },
  {
    query: `# Plan, limits, credits and usage.
query Account {
  account {
    name
    plan { name requestsPerMinute concurrentJobs dailyJobs }
    credits { balance available held charged }
    usage { requestsThisMinute jobsToday activeJobs }
  }
}
`,
  },
  {
    query: `# Avatars and voices a job may use.
query Catalog {
  catalog {
    avatars { id name portraitUrl }
    voices { id name language }
  }
}
`,
  },
  {
    query: `# What a job would cost, without running it.
query Estimate($text: String) {
  estimateCost(text: $text) { duration credits tier }
}
`,
    variables: json({ text: 'Hello, welcome to our platform!' }),
  },
].map((tab) => ({ variables: '', headers: HEADERS, ...tab }));

// The newest job id, and who wants to hear of a new one. Kept, like GraphiQL's tabs, in
// localStorage, with the ids put into tabs (any other id there is one the user typed).
const stored = (() => { try { return JSON.parse(localStorage.getItem(LAST_JOB)) || {}; } catch { return {}; } })();
let lastJob = stored.id || null;
const filled = new Set([NO_JOB_YET, ...(stored.filled || [])]);
const listeners = new Set();
function save() {
  localStorage.setItem(LAST_JOB, JSON.stringify({ id: lastJob, filled: [...filled].slice(-50) }));
}
function remember(id) {
  if (!id || id === lastJob) return;
  lastJob = id;
  save();
  for (const listener of listeners) listener(id);
}

const isSubscription = (query, name) => {
  const pattern = name ? new RegExp(`subscription\\s+${name}\\b`) : /^\s*subscription\b/m;
  return pattern.test(query);
};

// The operation to run: GraphiQL's choice when the document has it. Right after a tab switch
// GraphiQL 3.8.3 can still name the previous tab's operation, which this document lacks.
function operationOf(query, name) {
  const names = [...query.matchAll(/^\s*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/gm)].map((m) => m[1]);
  if (name && names.includes(name)) return name;
  return names.length === 1 ? names[0] : name;
}

function fetcher(graphiqlParams, options) {
  const params = { ...graphiqlParams, operationName: operationOf(graphiqlParams.query, graphiqlParams.operationName) };
  const headers = (options && options.headers) || {};
  if (isSubscription(params.query, params.operationName)) {
    return subscribe(params.query, params.variables, headers, params.operationName);
  }
  return request(params.query, params.variables, headers, params.operationName).then((result) => {
    const data = (result && result.data) || {};
    const job = data.generate || data.generateAvatar;
    if (job && job.id) remember(job.id);
    return result;
  });
}

function parse(text, fallback) {
  try { return JSON.parse(text || '{}'); } catch { return fallback; }
}

// Rendered inside GraphiQL (as a toolbar component) for its editor context: when the open tab's
// operation takes `$id: ID!`, put the newest job's id into its variables, unless the id there is
// one the user typed.
function FollowNewestJob() {
  const { useEditorContext } = GraphiQL.React;
  const { activeTabIndex, queryEditor, variableEditor, headerEditor } = useEditorContext({ nonNull: true });
  const [job, setJob] = React.useState(lastJob);

  React.useEffect(() => {
    listeners.add(setJob);
    return () => listeners.delete(setJob);
  }, []);

  React.useEffect(() => {  // GraphiQL 3.8.3 drops the stored headers as it starts: store them again
    if (headerEditor && localStorage.getItem('graphiql:shouldPersistHeaders') === 'true'
        && localStorage.getItem('graphiql:headers') === null) {
      localStorage.setItem('graphiql:headers', headerEditor.getValue());
    }
  }, [headerEditor]);

  React.useEffect(() => {  // no job made here yet: the newest of the key, if it has any
    if (lastJob || !headerEditor) return;
    const headers = parse(headerEditor.getValue(), {});
    request('query NewestJob { generations(first: 1) { nodes { id } } }', {}, headers, 'NewestJob')
      .then((result) => {
        const nodes = result && result.data && result.data.generations.nodes;
        if (nodes && nodes.length && !lastJob) remember(nodes[0].id);
      })
      .catch(() => {});
  }, [headerEditor]);

  React.useEffect(() => {
    if (!job || !queryEditor || !variableEditor) return;
    if (!/\$id\s*:\s*ID!/.test(queryEditor.getValue())) return;
    const variables = parse(variableEditor.getValue(), null);
    if (!variables || variables.id === job || (variables.id && !filled.has(variables.id))) return;
    filled.add(job);
    save();
    variableEditor.setValue(json({ ...variables, id: job }));
  }, [activeTabIndex, job, queryEditor, variableEditor]);

  return null;
}

// GraphiQL 3.8.3 fills its editors at start from what it stored of the open tab, not from the
// tab itself: with nothing stored, the first tab would open with empty variables, and the next
// visit would add a copy of it. On a first visit (or one from before these tabs), store what the
// first tab holds, as GraphiQL would have.
const EXPLORER_VERSION = '2';
if (localStorage.getItem('doitong-explorer:version') !== EXPLORER_VERSION
    || localStorage.getItem('graphiql:tabState') === null) {
  for (const key of ['tabState', 'query', 'variables', 'headers', 'operationName', 'shouldPersistHeaders']) localStorage.removeItem(`graphiql:${key}`);
  localStorage.setItem('graphiql:query', TABS[0].query);
  localStorage.setItem('graphiql:variables', TABS[0].variables);
  localStorage.setItem('graphiql:headers', HEADERS);
  localStorage.setItem('doitong-explorer:version', EXPLORER_VERSION);
}

ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, {
    fetcher,
    defaultTabs: TABS,
    defaultHeaders: HEADERS,
    defaultEditorToolsVisibility: 'variables',
    shouldPersistHeaders: true,
    toolbar: { additionalComponent: FollowNewestJob },
  }),
);
