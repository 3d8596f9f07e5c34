/*
 * Tidepool API stand-in: a tiny HTTP/1.1 server that uses nothing but libc, so that it
 * links statically and runs in a `FROM scratch` image built without network access.
 *
 *   GET /healthz  ->  200 {"status":"ok","version":"<APP_VERSION>"}  + X-App-Version header
 *   anything else ->  404 / 405 as JSON
 *
 * Settings come from the environment, as App Service passes them to a container:
 *   PORT         port to listen on (default 8000; App Service: WEBSITES_PORT=8000)
 *   APP_VERSION  the version this image was built from (the commit SHA), baked in by the
 *                Dockerfile's ARG APP_VERSION
 *
 * One request per connection, served in turn, with a read timeout: enough for health
 * probes and the demo, not a production web server (the real API is Django + gunicorn).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define DEFAULT_PORT 8000
#define READ_TIMEOUT_SECONDS 5
#define MAX_REQUEST 8192
#define MAX_VERSION 64

static volatile sig_atomic_t stopping = 0;

static void on_signal(int sig) {
    (void)sig;
    stopping = 1;
}

/* The version goes into a header and a JSON string: keep only characters safe in both. */
static void safe_version(const char *raw, char *out, size_t size) {
    size_t n = 0;
    for (const char *p = raw ? raw : ""; *p && n + 1 < size; p++) {
        char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' || c == '+')
            out[n++] = c;
    }
    out[n] = '\0';
    if (n == 0) snprintf(out, size, "unknown");
}

static void send_all(int fd, const char *data, size_t length) {
    while (length > 0) {
        ssize_t sent = send(fd, data, length, MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR) continue;
            return;
        }
        data += sent;
        length -= (size_t)sent;
    }
}

static void respond(int fd, int status, const char *reason, const char *version, const char *body, int head_only) {
    char header[512];
    int length = snprintf(header, sizeof header,
                          "HTTP/1.1 %d %s\r\n"
                          "Content-Type: application/json; charset=utf-8\r\n"
                          "Content-Length: %zu\r\n"
                          "Cache-Control: no-store\r\n"
                          "X-App-Version: %s\r\n"
                          "Connection: close\r\n"
                          "\r\n",
                          status, reason, strlen(body), version);
    send_all(fd, header, (size_t)length);
    if (!head_only) send_all(fd, body, strlen(body));
}

/* Read until the end of the request head (the API takes no request bodies). */
static ssize_t read_head(int fd, char *buffer, size_t size) {
    size_t used = 0;
    while (used + 1 < size) {
        ssize_t got = recv(fd, buffer + used, size - 1 - used, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        used += (size_t)got;
        buffer[used] = '\0';
        if (strstr(buffer, "\r\n\r\n") || strstr(buffer, "\n\n")) break;
    }
    buffer[used] = '\0';
    return (ssize_t)used;
}

static void serve(int fd, const char *version) {
    char request[MAX_REQUEST];
    if (read_head(fd, request, sizeof request) <= 0) return;

    char method[16] = "", target[1024] = "";
    if (sscanf(request, "%15s %1023s", method, target) != 2) {
        respond(fd, 400, "Bad Request", version, "{\"error\":\"bad request\"}", 0);
        return;
    }
    char *query = strchr(target, '?');
    if (query) *query = '\0';

    int head_only = strcmp(method, "HEAD") == 0;
    int status;
    if (strcmp(target, "/healthz") != 0) {
        status = 404;
        respond(fd, status, "Not Found", version, "{\"error\":\"not found\"}", head_only);
    } else if (strcmp(method, "GET") != 0 && !head_only) {
        status = 405;
        respond(fd, status, "Method Not Allowed", version, "{\"error\":\"method not allowed\"}", 0);
    } else {
        char body[128];
        snprintf(body, sizeof body, "{\"status\":\"ok\",\"version\":\"%s\"}", version);
        status = 200;
        respond(fd, status, "OK", version, body, head_only);
    }
    printf("%s %s %d\n", method, target, status);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);

    char version[MAX_VERSION + 1];
    safe_version(getenv("APP_VERSION"), version, sizeof version);

    long port = DEFAULT_PORT;
    const char *port_text = getenv("PORT");
    if (port_text && *port_text) {
        char *end;
        port = strtol(port_text, &end, 10);
        if (*end != '\0' || port < 1 || port > 65535) {
            fprintf(stderr, "PORT must be a number from 1 to 65535, got \"%s\"\n", port_text);
            return 2;
        }
    }

    /* As PID 1 in a container, SIGTERM is ignored unless handled: handle it, so
       App Service and `docker stop` end the server at once. No SA_RESTART: accept()
       returns EINTR and the loop sees `stopping`. */
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    signal(SIGPIPE, SIG_IGN);

    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0) {
        perror("socket");
        return 1;
    }
    int on = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_ANY);
    address.sin_port = htons((unsigned short)port);
    if (bind(listener, (struct sockaddr *)&address, sizeof address) < 0 || listen(listener, 64) < 0) {
        fprintf(stderr, "cannot listen on port %ld: %s\n", port, strerror(errno));
        return 1;
    }
    printf("tidepool-api stand-in %s listening on port %ld\n", version, port);

    while (!stopping) {
        int client = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (client < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            perror("accept");
            break;
        }
        struct timeval timeout = {READ_TIMEOUT_SECONDS, 0};
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
        serve(client, version);
        close(client);
    }
    close(listener);
    printf("tidepool-api stand-in stopped\n");
    return 0;
}
