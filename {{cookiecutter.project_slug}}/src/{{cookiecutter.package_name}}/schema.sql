-- Created if missing, never dropped: running init-db again keeps every user.
CREATE TABLE IF NOT EXISTS user (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  username TEXT UNIQUE NOT NULL,
  password TEXT NOT NULL,
  -- Copied into the session at login. Raising it ends every session that
  -- holds an older value: the server-side half of signing out everywhere.
  epoch INTEGER NOT NULL DEFAULT 0
);

-- Failed logins, kept on the server: a client could simply drop a cookie.
CREATE TABLE IF NOT EXISTS login_failure (
  username TEXT NOT NULL,
  address TEXT NOT NULL,
  failed_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failure_by_pair
  ON login_failure (username, address, failed_at);
