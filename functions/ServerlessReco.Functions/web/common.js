// Shared by the preview and the console: the function key, API calls that turn Problem Details into readable
// errors, and DOM building through textContent only (the pages show text that shoppers and senders wrote).
'use strict';

const KEY_STORAGE = 'reco.functionKey';

/** The function key: ?code= in the page address (as the Functions host takes it), else what was typed this session. */
function functionKey() {
  const fromUrl = new URLSearchParams(location.search).get('code');
  if (fromUrl) sessionStorage.setItem(KEY_STORAGE, fromUrl);
  return sessionStorage.getItem(KEY_STORAGE) || '';
}

function bindKeyField() {
  const field = document.getElementById('function-key');
  field.value = functionKey();
  field.addEventListener('change', () => sessionStorage.setItem(KEY_STORAGE, field.value.trim()));
}

class ApiError extends Error {
  constructor(status, problem) {
    const fields = problem && problem.errors ? Object.entries(problem.errors).map(([f, m]) => `${f}: ${m.join(' ')}`) : [];
    const detail = problem ? (fields.length ? fields.join(' ') : problem.detail || problem.title) : `HTTP ${status}`;
    super(status === 401 && !problem ? 'A function key is needed: enter it above (Azure only; a local handler needs none).' : detail);
    this.status = status;
    this.title = problem && problem.title ? problem.title : `HTTP ${status}`;
  }
}

/** fetch with the function key (operator functions) or a shopper token (recommendations); JSON in, JSON out. */
async function api(path, { method = 'GET', body, token } = {}) {
  const headers = { Accept: 'application/json' };
  const key = functionKey();
  if (key) headers['x-functions-key'] = key;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, { title: 'Network error', detail: `The function app did not answer (${e.message}).` });
  }
  const type = response.headers.get('Content-Type') || '';
  const json = type.includes('json') ? await response.json() : null;
  if (!response.ok) throw new ApiError(response.status, json);
  return json;
}

/** el('p', {class: 'x'}, 'text', child): children are text or nodes; attributes starting with "on" are listeners. */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function showError(region, error) {
  region.replaceChildren(el('strong', {}, error.title || 'Error'), ' ', error.message);
  region.hidden = false;
}

function clearError(region) {
  region.replaceChildren();
  region.hidden = true;
}

function formatNumber(value, digits = 3) {
  return Number(value).toFixed(digits);
}

function formatAge(seconds) {
  if (seconds === undefined || seconds === null) return 'n/a';
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}
