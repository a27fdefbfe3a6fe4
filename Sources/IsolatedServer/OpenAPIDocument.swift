// swift-format-ignore-file
// Generated from openapi.json by scripts/embed-openapi.sh; edit the document and run the script.

extension Server {
    /// The OpenAPI document, `openapi.json`, served at `GET /openapi.json`.
    package static let openAPIDocument = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "Isolated server",
    "version": "1.0.0",
    "description": "`isolated serve`: run isolated Swift functions on this server's engine. Every route but /healthz needs `Authorization: Bearer <key>` (`isolated keys create`). Errors are `{\"error\": {\"code\", \"message\", ...}}`; unknown routes get 404 and known routes with another method 405."
  },
  "security": [
    {
      "apiKey": []
    }
  ],
  "paths": {
    "/healthz": {
      "get": {
        "operationId": "health",
        "summary": "Whether the server is up; needs no key.",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "status": {
                      "type": "string",
                      "const": "ok"
                    }
                  },
                  "required": [
                    "status"
                  ]
                }
              }
            }
          }
        },
        "security": []
      }
    },
    "/openapi.json": {
      "get": {
        "operationId": "openAPIDocument",
        "summary": "This document.",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          }
        }
      }
    },
    "/metrics": {
      "get": {
        "operationId": "metrics",
        "summary": "Prometheus metrics: calls by outcome, cold and warm starts, phase durations, runners by state, environment builds and cache size.",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "text/plain": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          }
        }
      }
    },
    "/v1/invocations": {
      "post": {
        "operationId": "invoke",
        "summary": "Run a call. The response streams events, one JSON object per line: `invocation` (its id) first, then `phaseStarted`, `phaseFinished`, `progress` and `log` as they happen, then exactly one `result` or `error`. A client that accepts `application/vnd.isolated.events` gets the result as raw bytes after its line instead of base64 inside it. Settings the engine refuses (a negative `minWarm`, an unknown machine type) get `400` before the stream starts.",
        "responses": {
          "200": {
            "description": "The call's events, one JSON object per line.",
            "content": {
              "application/x-ndjson": {
                "schema": {
                  "$ref": "#/components/schemas/StreamEvent"
                }
              },
              "application/vnd.isolated.events": {
                "schema": {
                  "$ref": "#/components/schemas/StreamEvent"
                },
                "x-binary-parts": "The stream of application/x-ndjson, except that the `result` line carries `payloadBytes` instead of `payload`, and exactly that many raw bytes of the result follow its newline."
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "422": {
            "description": "The call names a machine type this server cannot run (it needs more than the machine has); the message says why and which types it can run.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorResponse"
                }
              }
            }
          },
          "503": {
            "description": "The call did not run, because the server could not record its start (code `storageFailed`: its database's disk is full or read-only, say); the message names the database and the cause.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorResponse"
                }
              }
            }
          }
        },
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/InvocationBody"
              }
            },
            "application/vnd.isolated.invocation": {
              "schema": {
                "type": "string",
                "contentMediaType": "application/octet-stream",
                "description": "An InvocationHeader as one line of JSON, a newline, then each argument's bytes back to back, as many as `argumentBytes` says."
              }
            }
          },
          "description": "The call: JSON (arguments in base64), or the binary form (`application/vnd.isolated.invocation`), whose arguments travel as raw bytes. At most --max-request-bytes (64 MiB by default) either way."
        }
      },
      "get": {
        "operationId": "listInvocations",
        "summary": "Recorded calls, newest first.",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/Invocation"
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          }
        },
        "parameters": [
          {
            "name": "limit",
            "in": "query",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 1000,
              "default": 50
            }
          },
          {
            "name": "function",
            "in": "query",
            "description": "Only calls of this function.",
            "schema": {
              "type": "string"
            }
          }
        ]
      }
    },
    "/v1/invocations/{id}": {
      "get": {
        "operationId": "getInvocation",
        "summary": "One recorded call, with its phase timings.",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Invocation"
                }
              }
            }
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          }
        },
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The invocation's id.",
            "schema": {
              "type": "string"
            }
          }
        ]
      }
    },
    "/v1/invocations/{id}/logs": {
      "get": {
        "operationId": "getInvocationLogs",
        "summary": "What the call printed (up to the server's limit).",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "text/plain": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          }
        },
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The invocation's id.",
            "schema": {
              "type": "string"
            }
          }
        ]
      }
    },
    "/v1/environments": {
      "get": {
        "operationId": "listEnvironments",
        "summary": "Built environments: requirements, size, last use, functions.",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/Environment"
                  }
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        },
        "description": "Needs an admin key."
      }
    },
    "/v1/environments/{key}": {
      "delete": {
        "operationId": "removeEnvironment",
        "summary": "Remove an environment (a unique key prefix is enough) and the functions built in it.",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Removed"
                }
              }
            }
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        },
        "parameters": [
          {
            "name": "key",
            "in": "path",
            "required": true,
            "description": "The environment's key, or a unique prefix.",
            "schema": {
              "type": "string"
            }
          }
        ],
        "description": "Needs an admin key."
      }
    },
    "/v1/environments/gc": {
      "post": {
        "operationId": "collectEnvironmentGarbage",
        "summary": "Remove environments unused for a while, half-built ones, and functions left without an environment; forget the versions built in them.",
        "parameters": [
          {
            "name": "unusedForDays",
            "in": "query",
            "required": false,
            "description": "Remove environments not used for this many days (default 7).",
            "schema": {
              "type": "number",
              "minimum": 0,
              "maximum": 10000000
            }
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Removed"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        },
        "description": "Needs an admin key."
      }
    },
    "/v1/runners": {
      "get": {
        "operationId": "listRunners",
        "summary": "Runners alive now.",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/Runner"
                  }
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        },
        "description": "Needs an admin key."
      }
    },
    "/v1/runners/{id}": {
      "delete": {
        "operationId": "stopRunner",
        "summary": "Stop a runner: at once when idle, after its call when busy.",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Removed"
                }
              }
            }
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        },
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The runner's id.",
            "schema": {
              "type": "string"
            }
          }
        ],
        "description": "Needs an admin key."
      }
    },
    "/v1/machine-types": {
      "get": {
        "operationId": "listMachineTypes",
        "summary": "The machine types calls may ask for.",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/MachineTypeCatalog"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          }
        }
      }
    },
    "/v1/doctor": {
      "get": {
        "operationId": "doctor",
        "summary": "What the server's machine offers runners and what its engine enforces: toolchain, home, limits, namespaces, GPUs, sandbox, environment.",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/Check"
                  }
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        },
        "description": "Needs an admin key."
      }
    },
    "/v1/keys": {
      "get": {
        "operationId": "listKeys",
        "summary": "API keys (never their secrets).",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/Key"
                  }
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        },
        "description": "Needs an admin key."
      },
      "post": {
        "operationId": "createKey",
        "summary": "Create a key; the response has its secret, shown this once.",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/CreatedKey"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        },
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "properties": {
                  "name": {
                    "type": "string"
                  },
                  "scope": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "enum": [
                      "invoke",
                      "admin",
                      null
                    ],
                    "default": "invoke",
                    "description": "What the key may do; null or absent: invoke."
                  }
                },
                "required": [
                  "name"
                ]
              }
            }
          }
        },
        "description": "Needs an admin key."
      }
    },
    "/v1/keys/{id}": {
      "delete": {
        "operationId": "revokeKey",
        "summary": "Revoke a key.",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Key"
                }
              }
            }
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        },
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The key's id.",
            "schema": {
              "type": "string"
            }
          }
        ],
        "description": "Needs an admin key."
      }
    }
  },
  "components": {
    "securitySchemes": {
      "apiKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "A key from `isolated keys create`."
      }
    },
    "responses": {
      "BadRequest": {
        "description": "Malformed input; the message names the field.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorResponse"
            }
          }
        }
      },
      "Unauthorized": {
        "description": "No valid key.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorResponse"
            }
          }
        }
      },
      "NotFound": {
        "description": "No such record.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorResponse"
            }
          }
        }
      },
      "TooLarge": {
        "description": "The body is larger than the server accepts (--max-request-bytes).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorResponse"
            }
          }
        }
      },
      "Forbidden": {
        "description": "The key is valid but its scope does not allow the request; the message names the scope needed.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorResponse"
            }
          }
        }
      }
    },
    "schemas": {
      "Error": {
        "type": "object",
        "required": [
          "code",
          "message"
        ],
        "properties": {
          "code": {
            "type": "string",
            "description": "compilationFailed, functionThrew, runnerCrashed, outOfMemory, timedOut, queueTimedOut, invalidSetting, resultTooLarge, requestTooLarge, unauthorized, invalidRequest, notFound, … (an open set: accept codes you do not know)"
          },
          "message": {
            "type": "string"
          },
          "details": {
            "type": "array",
            "items": {
              "type": "string"
            }
          },
          "remote": {
            "type": "object"
          },
          "logTail": {
            "type": "array",
            "items": {
              "type": "string"
            }
          },
          "chain": {
            "type": "array",
            "items": {
              "type": "object"
            }
          }
        }
      },
      "ErrorResponse": {
        "type": "object",
        "required": [
          "error"
        ],
        "properties": {
          "error": {
            "$ref": "#/components/schemas/Error"
          }
        }
      },
      "FunctionSource": {
        "type": "object",
        "description": "The function's shipped source, entry point and location, as the @Isolated macro makes it.",
        "required": [
          "name",
          "source",
          "entry",
          "file",
          "line"
        ],
        "properties": {
          "name": {
            "type": "string"
          },
          "source": {
            "type": "string"
          },
          "entry": {
            "type": "string"
          },
          "stub": {
            "type": [
              "string",
              "null"
            ],
            "description": "A declaration with the function's name and signature that makes a nested isolated call; empty or absent when no isolated function calls this one."
          },
          "file": {
            "type": "string"
          },
          "line": {
            "type": "integer",
            "minimum": -9223372036854775808,
            "maximum": 9223372036854775807
          },
          "dependencies": {
            "type": [
              "array",
              "null"
            ],
            "items": {
              "$ref": "#/components/schemas/ShippedSource"
            },
            "description": "The declarations its `uses:` ships with it; empty or absent when it ships none."
          }
        }
      },
      "InvocationBody": {
        "type": "object",
        "required": [
          "function",
          "requirements",
          "machineType",
          "keepAlive",
          "arguments"
        ],
        "properties": {
          "function": {
            "$ref": "#/components/schemas/FunctionSource"
          },
          "requirements": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Requirement"
            }
          },
          "machineType": {
            "type": "string"
          },
          "keepAlive": {
            "type": "integer",
            "minimum": 0,
            "maximum": 9223372036854775807
          },
          "maxConcurrency": {
            "type": [
              "integer",
              "null"
            ],
            "minimum": 1,
            "description": "Null or absent: the default.",
            "maximum": 9223372036854775807
          },
          "network": {
            "type": [
              "string",
              "null"
            ],
            "enum": [
              "enabled",
              "disabled",
              null
            ],
            "description": "Null or absent: the default."
          },
          "timeout": {
            "type": [
              "integer",
              "null"
            ],
            "minimum": 1,
            "description": "Seconds the call may run; the server's default (300) when absent. Null or absent: the default.",
            "maximum": 9223372036854775807
          },
          "retries": {
            "type": [
              "integer",
              "null"
            ],
            "minimum": 0,
            "description": "How many more times to try the call when its runner crashes, cannot start or stops answering. Null or absent: the default.",
            "maximum": 9223372036854775807
          },
          "minWarm": {
            "type": [
              "integer",
              "null"
            ],
            "minimum": 0,
            "description": "How many runners of the function to keep warm between calls. Null or absent: the default.",
            "maximum": 9223372036854775807
          },
          "arguments": {
            "type": "array",
            "items": {
              "type": "string",
              "contentEncoding": "base64",
              "pattern": "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
            },
            "description": "Each argument's JSON encoding, in base64."
          }
        }
      },
      "InvocationHeader": {
        "type": "object",
        "required": [
          "function",
          "requirements",
          "machineType",
          "keepAlive",
          "argumentBytes"
        ],
        "properties": {
          "function": {
            "$ref": "#/components/schemas/FunctionSource"
          },
          "requirements": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Requirement"
            }
          },
          "machineType": {
            "type": "string"
          },
          "keepAlive": {
            "type": "integer",
            "minimum": 0,
            "maximum": 9223372036854775807
          },
          "maxConcurrency": {
            "type": [
              "integer",
              "null"
            ],
            "minimum": 1,
            "description": "Null or absent: the default.",
            "maximum": 9223372036854775807
          },
          "network": {
            "type": [
              "string",
              "null"
            ],
            "enum": [
              "enabled",
              "disabled",
              null
            ],
            "description": "Null or absent: the default."
          },
          "timeout": {
            "type": [
              "integer",
              "null"
            ],
            "minimum": 1,
            "description": "Seconds the call may run; the server's default (300) when absent. Null or absent: the default.",
            "maximum": 9223372036854775807
          },
          "retries": {
            "type": [
              "integer",
              "null"
            ],
            "minimum": 0,
            "description": "How many more times to try the call when its runner crashes, cannot start or stops answering. Null or absent: the default.",
            "maximum": 9223372036854775807
          },
          "minWarm": {
            "type": [
              "integer",
              "null"
            ],
            "minimum": 0,
            "description": "How many runners of the function to keep warm between calls. Null or absent: the default.",
            "maximum": 9223372036854775807
          },
          "argumentBytes": {
            "type": "array",
            "items": {
              "type": "integer",
              "minimum": 0,
              "maximum": 9223372036854775807
            },
            "description": "Each argument's size in bytes; the arguments follow the header line in this order."
          }
        },
        "description": "The header line of a binary invocation body."
      },
      "StreamEvent": {
        "type": "object",
        "required": [
          "type"
        ],
        "properties": {
          "type": {
            "type": "string",
            "enum": [
              "invocation",
              "phaseStarted",
              "phaseFinished",
              "progress",
              "log",
              "result",
              "error"
            ]
          },
          "id": {
            "type": "string"
          },
          "phase": {
            "type": "string"
          },
          "detail": {
            "type": "string"
          },
          "seconds": {
            "type": "number"
          },
          "outcome": {
            "type": "string"
          },
          "text": {
            "type": "string"
          },
          "callID": {
            "type": "integer"
          },
          "function": {
            "type": "string"
          },
          "stream": {
            "type": "string",
            "enum": [
              "stdout",
              "stderr"
            ]
          },
          "payload": {
            "type": "string",
            "contentEncoding": "base64",
            "description": "The result, encoded as the function's signature says, in base64 (application/x-ndjson)."
          },
          "payloadBytes": {
            "type": "integer",
            "minimum": 0,
            "description": "The result's size; its raw bytes follow this line (application/vnd.isolated.events)."
          },
          "report": {
            "type": "object"
          },
          "error": {
            "$ref": "#/components/schemas/Error"
          }
        }
      },
      "Phase": {
        "type": "object",
        "required": [
          "phase",
          "seconds"
        ],
        "properties": {
          "phase": {
            "type": "string"
          },
          "seconds": {
            "type": "number"
          },
          "outcome": {
            "type": "string"
          }
        }
      },
      "Invocation": {
        "type": "object",
        "required": [
          "id",
          "function",
          "file",
          "line",
          "machineType",
          "startedAt",
          "outcome",
          "warm",
          "phases",
          "logBytes",
          "logsTruncated"
        ],
        "properties": {
          "id": {
            "type": "string"
          },
          "function": {
            "type": "string"
          },
          "file": {
            "type": "string"
          },
          "line": {
            "type": "integer"
          },
          "machineType": {
            "type": "string"
          },
          "environmentKey": {
            "type": "string"
          },
          "runnerID": {
            "type": "string"
          },
          "keyID": {
            "type": "string",
            "description": "The key that made the call; `runner:` and a runner's id for a nested call made with that runner's own key."
          },
          "parentID": {
            "type": "string",
            "description": "The invocation that made this one, for a nested call recorded on its own (a Python function's nested calls)."
          },
          "startedAt": {
            "type": "string",
            "format": "date-time"
          },
          "endedAt": {
            "type": "string",
            "format": "date-time"
          },
          "outcome": {
            "type": "string",
            "enum": [
              "running",
              "succeeded",
              "failed",
              "cancelled",
              "interrupted"
            ]
          },
          "warm": {
            "type": "boolean"
          },
          "phases": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Phase"
            }
          },
          "error": {
            "$ref": "#/components/schemas/Error"
          },
          "logBytes": {
            "type": "integer"
          },
          "logsTruncated": {
            "type": "boolean"
          }
        }
      },
      "Environment": {
        "type": "object",
        "required": [
          "key",
          "runtime",
          "requirements",
          "bytes",
          "builtAt",
          "lastUsed",
          "functions"
        ],
        "properties": {
          "key": {
            "type": "string"
          },
          "runtime": {
            "type": "string",
            "description": "`swift`, or `python` and the interpreter's version (`python 3.11.7`)."
          },
          "requirements": {
            "type": "array",
            "items": {
              "type": "string"
            }
          },
          "bytes": {
            "type": "integer"
          },
          "builtAt": {
            "type": "string",
            "format": "date-time"
          },
          "lastUsed": {
            "type": "string",
            "format": "date-time"
          },
          "functions": {
            "type": "array",
            "items": {
              "type": "string"
            }
          }
        }
      },
      "Runner": {
        "type": "object",
        "required": [
          "id",
          "function",
          "machineType",
          "state",
          "calls",
          "keepAlive",
          "startedAt"
        ],
        "properties": {
          "id": {
            "type": "string"
          },
          "function": {
            "type": "object"
          },
          "processID": {
            "type": "integer"
          },
          "machineType": {
            "type": "string"
          },
          "state": {
            "type": "string",
            "enum": [
              "starting",
              "busy",
              "idle",
              "stopping"
            ]
          },
          "calls": {
            "type": "integer"
          },
          "keepAlive": {
            "type": "integer"
          },
          "startedAt": {
            "type": "string",
            "format": "date-time",
            "description": "When the runner was launched."
          },
          "node": {
            "type": "string",
            "description": "The cluster node it runs on (isolated serve --launcher slurm); absent for a runner on the server's own machine."
          },
          "job": {
            "type": "string",
            "description": "Its Slurm job id; absent for a runner on the server's own machine."
          }
        }
      },
      "MachineTypeCatalog": {
        "type": "object",
        "required": [
          "types"
        ],
        "properties": {
          "types": {
            "type": "array",
            "items": {
              "type": "object",
              "properties": {
                "name": {
                  "type": "string"
                },
                "cpus": {
                  "type": "number"
                },
                "memory": {
                  "type": "integer"
                },
                "processes": {
                  "type": "integer"
                },
                "gpus": {
                  "type": "integer"
                }
              }
            }
          }
        }
      },
      "Key": {
        "type": "object",
        "required": [
          "id",
          "name",
          "scope",
          "createdAt"
        ],
        "properties": {
          "id": {
            "type": "string"
          },
          "name": {
            "type": "string"
          },
          "scope": {
            "type": "string",
            "enum": [
              "invoke",
              "admin"
            ],
            "description": "`invoke`: call functions and read calls and their output. `admin`: also manage keys, environments and runners."
          },
          "createdAt": {
            "type": "string",
            "format": "date-time"
          },
          "lastUsedAt": {
            "type": "string",
            "format": "date-time"
          },
          "revokedAt": {
            "type": "string",
            "format": "date-time"
          }
        }
      },
      "CreatedKey": {
        "type": "object",
        "required": [
          "key",
          "secret"
        ],
        "properties": {
          "key": {
            "$ref": "#/components/schemas/Key"
          },
          "secret": {
            "type": "string"
          }
        }
      },
      "Removed": {
        "type": "object",
        "required": [
          "removed"
        ],
        "properties": {
          "removed": {
            "type": "array",
            "items": {
              "type": "string"
            }
          }
        }
      },
      "Check": {
        "type": "object",
        "required": [
          "name",
          "status",
          "detail"
        ],
        "properties": {
          "name": {
            "type": "string",
            "description": "What was checked: toolchain, runner runtime, home, machine-type limits, namespaces, GPUs, sandbox, environment."
          },
          "status": {
            "type": "string",
            "description": "ok, enforced, not enforced, available, unavailable, none, scrubbed, warning or error."
          },
          "detail": {
            "type": "string"
          }
        }
      },
      "Requirement": {
        "description": "A Swift package the function's environment needs: a string in the form the SDK takes (`owner/name@1.2.0` from that version up to the next major, `owner/name==1.2.0` exactly, or a git URL in place of `owner/name`), or an object naming a URL and a version rule, or a local path on the server's machine.",
        "oneOf": [
          {
            "type": "string",
            "pattern": "^(?:[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+|https?://[A-Za-z0-9_.:-]+(?:/[A-Za-z0-9_.-]+){2,})(?:@|==)[0-9]{1,9}\\.[0-9]{1,9}\\.[0-9]{1,9}(?:-[0-9A-Za-z.-]+)?$",
            "description": "The string form."
          },
          {
            "type": "object",
            "required": [
              "url",
              "from"
            ],
            "properties": {
              "url": {
                "type": "string",
                "minLength": 1
              },
              "from": {
                "type": "string",
                "pattern": "^[0-9]{1,9}\\.[0-9]{1,9}\\.[0-9]{1,9}(-[0-9A-Za-z.-]+)?$"
              },
              "products": {
                "type": [
                  "array",
                  "null"
                ],
                "minItems": 1,
                "items": {
                  "type": "string",
                  "minLength": 1
                },
                "description": "The library products to import; null or absent: all of them."
              }
            },
            "description": "A git repository, from this version up to the next major.",
            "not": {
              "anyOf": [
                {
                  "required": [
                    "exact"
                  ]
                },
                {
                  "required": [
                    "path"
                  ]
                }
              ]
            }
          },
          {
            "type": "object",
            "required": [
              "url",
              "exact"
            ],
            "properties": {
              "url": {
                "type": "string",
                "minLength": 1
              },
              "exact": {
                "type": "string",
                "pattern": "^[0-9]{1,9}\\.[0-9]{1,9}\\.[0-9]{1,9}(-[0-9A-Za-z.-]+)?$"
              },
              "products": {
                "type": [
                  "array",
                  "null"
                ],
                "minItems": 1,
                "items": {
                  "type": "string",
                  "minLength": 1
                },
                "description": "The library products to import; null or absent: all of them."
              }
            },
            "description": "A git repository, exactly this version.",
            "not": {
              "anyOf": [
                {
                  "required": [
                    "from"
                  ]
                },
                {
                  "required": [
                    "path"
                  ]
                }
              ]
            }
          },
          {
            "type": "object",
            "required": [
              "path"
            ],
            "properties": {
              "path": {
                "type": "string",
                "minLength": 1
              },
              "products": {
                "type": [
                  "array",
                  "null"
                ],
                "minItems": 1,
                "items": {
                  "type": "string",
                  "minLength": 1
                },
                "description": "The library products to import; null or absent: all of them."
              }
            },
            "description": "A package on the server's disk.",
            "not": {
              "anyOf": [
                {
                  "required": [
                    "url"
                  ]
                },
                {
                  "required": [
                    "from"
                  ]
                },
                {
                  "required": [
                    "exact"
                  ]
                }
              ]
            }
          }
        ]
      },
      "CallTemplate": {
        "type": "object",
        "description": "The settings a shipped isolated function is called with from inside the worker that ships it.",
        "required": [
          "function",
          "requirements",
          "machineType",
          "keepAlive",
          "network"
        ],
        "properties": {
          "function": {
            "$ref": "#/components/schemas/FunctionSource"
          },
          "requirements": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Requirement"
            }
          },
          "machineType": {
            "type": "string"
          },
          "keepAlive": {
            "type": "integer",
            "minimum": 0,
            "maximum": 9223372036854775807
          },
          "maxConcurrency": {
            "type": [
              "integer",
              "null"
            ],
            "minimum": 1,
            "maximum": 9223372036854775807
          },
          "network": {
            "type": "string",
            "enum": [
              "enabled",
              "disabled"
            ]
          },
          "timeout": {
            "type": [
              "integer",
              "null"
            ],
            "minimum": 1,
            "maximum": 9223372036854775807
          },
          "retries": {
            "type": [
              "integer",
              "null"
            ],
            "minimum": 0,
            "maximum": 9223372036854775807
          },
          "minWarm": {
            "type": [
              "integer",
              "null"
            ],
            "minimum": 0,
            "maximum": 9223372036854775807
          }
        }
      },
      "ShippedSource": {
        "type": "object",
        "description": "A declaration a function's `uses:` ships with it.",
        "required": [
          "kind",
          "name",
          "source",
          "file",
          "line"
        ],
        "properties": {
          "kind": {
            "type": "string",
            "enum": [
              "isolated",
              "cached",
              "shippable"
            ]
          },
          "name": {
            "type": "string"
          },
          "source": {
            "type": "string"
          },
          "file": {
            "type": "string"
          },
          "line": {
            "type": "integer",
            "minimum": -9223372036854775808,
            "maximum": 9223372036854775807
          },
          "call": {
            "oneOf": [
              {
                "$ref": "#/components/schemas/CallTemplate"
              },
              {
                "type": "null"
              }
            ],
            "description": "For an isolated function: how it is called."
          }
        }
      }
    }
  }
}

"""#
}
