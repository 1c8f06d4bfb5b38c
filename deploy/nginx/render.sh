#!/bin/sh
# Print deploy/nginx/qingyuan.conf with its placeholders filled from the environment, e.g.
#   SERVER_NAME=invest.qingyuan.example TLS_CERT=/etc/ssl/qingyuan/fullchain.pem \
#   TLS_KEY=/etc/ssl/qingyuan/key.pem APP_ROOT=/opt/qingyuan \
#   deploy/nginx/render.sh > /etc/nginx/sites-available/qingyuan.conf
# (docs/OPERATIONS.md, section 2, has the whole installation.) The others have defaults:
# UPSTREAM=127.0.0.1:8000 CACHE_DIR=/var/cache/nginx/qingyuan LOG_DIR=/var/log/nginx
# HTTP_LISTEN=80 HTTPS_LISTEN=443 ACME_ROOT=/var/www/html. nginx makes CACHE_DIR itself but not its parent, which
# Debian's nginx package does not create: `install -d -m 0755 /var/cache/nginx` first.
set -eu
: "${SERVER_NAME:?set SERVER_NAME (host names, the canonical one first)}"
: "${TLS_CERT:?set TLS_CERT (certificate chain, PEM)}"
: "${TLS_KEY:?set TLS_KEY (private key, PEM)}"
: "${APP_ROOT:?set APP_ROOT (the directory holding site/static and crm/)}"
UPSTREAM=${UPSTREAM:-127.0.0.1:8000}
CACHE_DIR=${CACHE_DIR:-/var/cache/nginx/qingyuan}
LOG_DIR=${LOG_DIR:-/var/log/nginx}
HTTP_LISTEN=${HTTP_LISTEN:-80}
HTTPS_LISTEN=${HTTPS_LISTEN:-443}
ACME_ROOT=${ACME_ROOT:-/var/www/html}
# No value may end a directive or start a block: nginx would read it as configuration.
for value in "$SERVER_NAME" "$TLS_CERT" "$TLS_KEY" "$APP_ROOT" "$UPSTREAM" "$CACHE_DIR" \
    "$LOG_DIR" "$HTTP_LISTEN" "$HTTPS_LISTEN" "$ACME_ROOT"; do
    case $value in
    *[\;\{\}\|\\\"\'\$]* | "")
        echo "render.sh: unsafe or empty value: $value" >&2
        exit 1
        ;;
    esac
done
sed -e "s|@SERVER_NAME@|$SERVER_NAME|g" \
    -e "s|@TLS_CERT@|$TLS_CERT|g" \
    -e "s|@TLS_KEY@|$TLS_KEY|g" \
    -e "s|@APP_ROOT@|${APP_ROOT%/}|g" \
    -e "s|@UPSTREAM@|$UPSTREAM|g" \
    -e "s|@CACHE_DIR@|$CACHE_DIR|g" \
    -e "s|@LOG_DIR@|${LOG_DIR%/}|g" \
    -e "s|@HTTP_LISTEN@|$HTTP_LISTEN|g" \
    -e "s|@HTTPS_LISTEN@|$HTTPS_LISTEN|g" \
    -e "s|@ACME_ROOT@|${ACME_ROOT%/}|g" \
    "$(dirname "$0")/qingyuan.conf"
