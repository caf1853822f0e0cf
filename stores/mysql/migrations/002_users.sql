-- Users, their addresses (each mapped to a delivery cluster), coupons, and login sessions.
-- Sessions are written only by their `session:<id>` actor; only a token's hash is kept.
CREATE TABLE IF NOT EXISTS users (
  user_id VARCHAR(40) NOT NULL PRIMARY KEY,
  email VARCHAR(254) NOT NULL,
  name VARCHAR(200) NOT NULL,
  -- scrypt(password, salt); parameters are stored so they can be raised later.
  password_hash VARBINARY(64) NOT NULL,
  password_salt VARBINARY(32) NOT NULL,
  password_params VARCHAR(64) NOT NULL,
  reward_points INT NOT NULL DEFAULT 0,
  default_address_id VARCHAR(40) NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  UNIQUE KEY users_email (email)
);

CREATE TABLE IF NOT EXISTS addresses (
  address_id VARCHAR(40) NOT NULL PRIMARY KEY,
  user_id VARCHAR(40) NOT NULL,
  line1 VARCHAR(300) NOT NULL,
  city VARCHAR(120) NOT NULL,
  region VARCHAR(120) NOT NULL,
  country CHAR(2) NOT NULL,
  postal_code VARCHAR(20) NOT NULL,
  -- The delivery cluster (region code) the logistics side routes this address to.
  cluster VARCHAR(32) NOT NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY addresses_user (user_id, created_at)
);

CREATE TABLE IF NOT EXISTS coupons (
  coupon_id VARCHAR(40) NOT NULL PRIMARY KEY,
  user_id VARCHAR(40) NOT NULL,
  code VARCHAR(64) NOT NULL,
  description VARCHAR(300) NOT NULL,
  discount_percent INT NOT NULL,
  expires_at TIMESTAMP(3) NULL,
  used_at TIMESTAMP(3) NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  UNIQUE KEY coupons_user_code (user_id, code)
);

CREATE TABLE IF NOT EXISTS sessions (
  session_id VARCHAR(64) NOT NULL PRIMARY KEY,
  -- sha256 of the bearer token, hex; the token itself is never stored.
  token_hash CHAR(64) NOT NULL,
  user_id VARCHAR(40) NOT NULL,
  device VARCHAR(200) NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  revoked_at BIGINT NULL,
  KEY sessions_user (user_id)
);
