// The agent's version, reported by `version` and `status` so repair can spot an old agent.
export const AGENT_VERSION = '0.1.0'
