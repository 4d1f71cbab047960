/*eslint-disable block-scoped-var, id-length, no-control-regex, no-magic-numbers, no-mixed-operators, no-prototype-builtins, no-redeclare, no-shadow, no-var, sort-vars, default-case, jsdoc/require-param*/
"use strict";

var $protobuf = require("protobufjs/minimal");

// Common aliases
var $Reader = $protobuf.Reader, $Writer = $protobuf.Writer, $util = $protobuf.util;
var $Object = $util.global.Object, $undefined = $util.global.undefined, $Error = $util.global.Error, $RangeError = $util.global.RangeError, $TypeError = $util.global.TypeError, $String = $util.global.String, $Array = $util.global.Array, $Number = $util.global.Number, $isFinite = $util.global.isFinite, $Boolean = $util.global.Boolean;

// Exported root namespace
var $root = $protobuf.roots["default"] || ($protobuf.roots["default"] = {});

$root.llm = (function() {

    /**
     * Namespace llm.
     * @exports llm
     * @namespace
     */
    var llm = {};

    llm.v1 = (function() {

        /**
         * Namespace v1.
         * @memberof llm
         * @namespace
         */
        var v1 = {};

        /**
         * Role enum.
         * @name llm.v1.Role
         * @enum {number}
         * @property {number} ROLE_UNSPECIFIED=0 ROLE_UNSPECIFIED value
         * @property {number} ROLE_USER=1 ROLE_USER value
         * @property {number} ROLE_ASSISTANT=2 ROLE_ASSISTANT value
         */
        v1.Role = (function() {
            var valuesById = $Object.create(null), values = $Object.create(valuesById);
            values[valuesById[0] = "ROLE_UNSPECIFIED"] = 0;
            values[valuesById[1] = "ROLE_USER"] = 1;
            values[valuesById[2] = "ROLE_ASSISTANT"] = 2;
            return values;
        })();

        v1.ChatMessage = (function() {

            /**
             * Properties of a ChatMessage.
             * @typedef {Object} llm.v1.ChatMessage.$Properties
             * @property {llm.v1.Role|null} [role] ChatMessage role
             * @property {string|null} [content] ChatMessage content
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of a ChatMessage.
             * @memberof llm.v1
             * @interface IChatMessage
             * @augments llm.v1.ChatMessage.$Properties
             * @deprecated Use llm.v1.ChatMessage.$Properties instead.
             */

            /**
             * Shape of a ChatMessage.
             * @typedef {llm.v1.ChatMessage.$Properties} llm.v1.ChatMessage.$Shape
             */

            /**
             * Constructs a new ChatMessage.
             * @memberof llm.v1
             * @classdesc Represents a ChatMessage.
             * @constructor
             * @param {llm.v1.ChatMessage.$Properties=} [p] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            var ChatMessage = function (p) {
                if (p)
                    for (var ks = $Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            };

            /**
             * ChatMessage role.
             * @member {llm.v1.Role} role
             * @memberof llm.v1.ChatMessage
             * @instance
             */
            ChatMessage.prototype.role = 0;

            /**
             * ChatMessage content.
             * @member {string} content
             * @memberof llm.v1.ChatMessage
             * @instance
             */
            ChatMessage.prototype.content = "";

            /**
             * Creates a new ChatMessage instance using the specified properties.
             * @function create
             * @memberof llm.v1.ChatMessage
             * @static
             * @param {llm.v1.ChatMessage.$Properties=} [properties] Properties to set
             * @returns {llm.v1.ChatMessage} ChatMessage instance
             * @type {{
             *   (properties: llm.v1.ChatMessage.$Shape): llm.v1.ChatMessage & llm.v1.ChatMessage.$Shape;
             *   (properties?: llm.v1.ChatMessage.$Properties): llm.v1.ChatMessage;
             * }}
             */
            ChatMessage.create = function(properties) {
                return new ChatMessage(properties);
            };

            /**
             * Encodes the specified ChatMessage message. Does not implicitly {@link llm.v1.ChatMessage.verify|verify} messages.
             * @function encode
             * @memberof llm.v1.ChatMessage
             * @static
             * @param {llm.v1.ChatMessage.$Properties} m ChatMessage message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            ChatMessage.encode = function (m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === $undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (m.role != null && $Object.hasOwnProperty.call(m, "role") && m.role !== 0)
                    w.uint32(/* id 1, wireType 0 =*/8).int32(m.role);
                if (m.content != null && $Object.hasOwnProperty.call(m, "content") && m.content !== "")
                    w.uint32(/* id 2, wireType 2 =*/18).string(m.content);
                if (m.$unknowns != null && $Object.hasOwnProperty.call(m, "$unknowns"))
                    for (var i = 0; i < m.$unknowns.length; ++i)
                        w.raw(m.$unknowns[i]);
                return w;
            };

            /**
             * Decodes a ChatMessage message from the specified reader or buffer.
             * @function decode
             * @memberof llm.v1.ChatMessage
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {llm.v1.ChatMessage & llm.v1.ChatMessage.$Shape} ChatMessage
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            ChatMessage.decode = function (r, l, z, q, g) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (q === $undefined)
                    q = 0;
                if (q > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                var c, m, v;
                if (l === $undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw $RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = g || new $root.llm.v1.ChatMessage();
                while (r.pos < c) {
                    var s = r.pos;
                    var t = r.tag();
                    if (t === z) {
                        z = $undefined;
                        break;
                    }
                    var u = t & 7;
                    switch (t >>>= 3) {
                    case 1: {
                            if (u !== 0)
                                break;
                            if (v = r.int32())
                                m.role = v;
                            else
                                delete m.role;
                            continue;
                        }
                    case 2: {
                            if (u !== 2)
                                break;
                            if ((v = r.stringVerify()).length)
                                m.content = v;
                            else
                                delete m.content;
                            continue;
                        }
                    }
                    r.skipType(u, q, t);
                    if (!r.discardUnknown) {
                        $util.makeProp(m, "$unknowns", false);
                        (m.$unknowns || (m.$unknowns = [])).push(r.raw(s, r.pos));
                    }
                }
                if (l !== $undefined) {
                    if (r.pos !== c)
                        throw $RangeError("index out of range");
                    r.len = l;
                }
                if (z !== $undefined)
                    throw $Error("missing end group");
                return m;
            };

            /**
             * Verifies a ChatMessage message.
             * @function verify
             * @memberof llm.v1.ChatMessage
             * @static
             * @param {Object.<string,*>} m Plain object to verify
             * @returns {string|null} `null` if valid, otherwise the reason why it is not
             */
            ChatMessage.verify = function (m, q) {
                if (typeof m !== "object" || m === null)
                    return "object expected";
                if (q === $undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    return "max depth exceeded";
                if (m.role != null && $Object.hasOwnProperty.call(m, "role")) {
                    if (typeof m.role !== "number" || (m.role | 0) !== m.role)
                        return "role: enum value expected";
                }
                if (m.content != null && $Object.hasOwnProperty.call(m, "content")) {
                    if (!$util.isString(m.content))
                        return "content: string expected";
                }
                return null;
            };

            /**
             * Creates a ChatMessage message from a plain object. Also converts values to their respective internal types.
             * @function fromObject
             * @memberof llm.v1.ChatMessage
             * @static
             * @param {Object.<string,*>} d Plain object
             * @returns {llm.v1.ChatMessage} ChatMessage
             */
            ChatMessage.fromObject = function (d, q) {
                if (d instanceof $root.llm.v1.ChatMessage)
                    return d;
                if (!$util.isObject(d))
                    throw $TypeError(".llm.v1.ChatMessage: object expected");
                if (q === $undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                var m = new $root.llm.v1.ChatMessage();
                if (d.role !== 0 && (typeof d.role !== "string" || $root.llm.v1.Role[d.role] !== 0)) {
                    switch (d.role) {
                    case "ROLE_UNSPECIFIED":
                    case 0:
                        m.role = 0;
                        break;
                    case "ROLE_USER":
                    case 1:
                        m.role = 1;
                        break;
                    case "ROLE_ASSISTANT":
                    case 2:
                        m.role = 2;
                        break;
                    default:
                        if (typeof d.role === "number" && (d.role | 0) === d.role)
                            m.role = d.role;
                    }
                }
                if (d.content != null) {
                    if (typeof d.content !== "string" || d.content.length) {
                        m.content = $String(d.content);
                    }
                }
                return m;
            };

            /**
             * Creates a plain object from a ChatMessage message. Also converts values to other types if specified.
             * @function toObject
             * @memberof llm.v1.ChatMessage
             * @static
             * @param {llm.v1.ChatMessage} m ChatMessage
             * @param {$protobuf.IConversionOptions} [o] Conversion options
             * @returns {Object.<string,*>} Plain object
             */
            ChatMessage.toObject = function (m, o, q) {
                if (!o)
                    o = {};
                if (q === $undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                var d = {};
                if (o.defaults) {
                    d.role = o.enums === $String ? "ROLE_UNSPECIFIED" : 0;
                    d.content = "";
                }
                if (m.role != null && $Object.hasOwnProperty.call(m, "role")) {
                    d.role = o.enums === $String ? $root.llm.v1.Role[m.role] === $undefined ? m.role : $root.llm.v1.Role[m.role] : m.role;
                }
                if (m.content != null && $Object.hasOwnProperty.call(m, "content")) {
                    d.content = m.content;
                }
                return d;
            };

            /**
             * Converts this ChatMessage to JSON.
             * @function toJSON
             * @memberof llm.v1.ChatMessage
             * @instance
             * @returns {Object.<string,*>} JSON object
             */
            ChatMessage.prototype.toJSON = function() {
                return ChatMessage.toObject(this, $protobuf.util.toJSONOptions);
            };

            /**
             * Gets the type url for ChatMessage
             * @function getTypeUrl
             * @memberof llm.v1.ChatMessage
             * @static
             * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns {string} The type url
             */
            ChatMessage.getTypeUrl = function(prefix) {
                if (prefix === $undefined)
                    prefix = "type.googleapis.com";
                return prefix + "/llm.v1.ChatMessage";
            };

            return ChatMessage;
        })();

        v1.GenerateRequest = (function() {

            /**
             * Properties of a GenerateRequest.
             * @typedef {Object} llm.v1.GenerateRequest.$Properties
             * @property {string|null} [requestId] GenerateRequest requestId
             * @property {Array.<llm.v1.ChatMessage.$Properties>|null} [messages] GenerateRequest messages
             * @property {string|null} [system] GenerateRequest system
             * @property {number|null} [maxTokens] GenerateRequest maxTokens
             * @property {number|null} [temperature] GenerateRequest temperature
             * @property {number|null} [topP] GenerateRequest topP
             * @property {string|null} [model] GenerateRequest model
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of a GenerateRequest.
             * @memberof llm.v1
             * @interface IGenerateRequest
             * @augments llm.v1.GenerateRequest.$Properties
             * @deprecated Use llm.v1.GenerateRequest.$Properties instead.
             */

            /**
             * Shape of a GenerateRequest.
             * @typedef {llm.v1.GenerateRequest.$Properties} llm.v1.GenerateRequest.$Shape
             */

            /**
             * Constructs a new GenerateRequest.
             * @memberof llm.v1
             * @classdesc Represents a GenerateRequest.
             * @constructor
             * @param {llm.v1.GenerateRequest.$Properties=} [p] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            var GenerateRequest = function (p) {
                this.messages = [];
                if (p)
                    for (var ks = $Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            };

            /**
             * GenerateRequest requestId.
             * @member {string} requestId
             * @memberof llm.v1.GenerateRequest
             * @instance
             */
            GenerateRequest.prototype.requestId = "";

            /**
             * GenerateRequest messages.
             * @member {Array.<llm.v1.ChatMessage.$Properties>} messages
             * @memberof llm.v1.GenerateRequest
             * @instance
             */
            GenerateRequest.prototype.messages = $util.emptyArray;

            /**
             * GenerateRequest system.
             * @member {string} system
             * @memberof llm.v1.GenerateRequest
             * @instance
             */
            GenerateRequest.prototype.system = "";

            /**
             * GenerateRequest maxTokens.
             * @member {number} maxTokens
             * @memberof llm.v1.GenerateRequest
             * @instance
             */
            GenerateRequest.prototype.maxTokens = 0;

            /**
             * GenerateRequest temperature.
             * @member {number|null|undefined} temperature
             * @memberof llm.v1.GenerateRequest
             * @instance
             */
            GenerateRequest.prototype.temperature = null;

            /**
             * GenerateRequest topP.
             * @member {number|null|undefined} topP
             * @memberof llm.v1.GenerateRequest
             * @instance
             */
            GenerateRequest.prototype.topP = null;

            /**
             * GenerateRequest model.
             * @member {string} model
             * @memberof llm.v1.GenerateRequest
             * @instance
             */
            GenerateRequest.prototype.model = "";

            // OneOf field names bound to virtual getters and setters
            var $oneOfFields;

            // Virtual OneOf for proto3 optional field
            $Object.defineProperty(GenerateRequest.prototype, "_temperature", {
                get: $util.oneOfGetter($oneOfFields = ["temperature"]),
                set: $util.oneOfSetter($oneOfFields)
            });

            // Virtual OneOf for proto3 optional field
            $Object.defineProperty(GenerateRequest.prototype, "_topP", {
                get: $util.oneOfGetter($oneOfFields = ["topP"]),
                set: $util.oneOfSetter($oneOfFields)
            });

            /**
             * Creates a new GenerateRequest instance using the specified properties.
             * @function create
             * @memberof llm.v1.GenerateRequest
             * @static
             * @param {llm.v1.GenerateRequest.$Properties=} [properties] Properties to set
             * @returns {llm.v1.GenerateRequest} GenerateRequest instance
             * @type {{
             *   (properties: llm.v1.GenerateRequest.$Shape): llm.v1.GenerateRequest & llm.v1.GenerateRequest.$Shape;
             *   (properties?: llm.v1.GenerateRequest.$Properties): llm.v1.GenerateRequest;
             * }}
             */
            GenerateRequest.create = function(properties) {
                return new GenerateRequest(properties);
            };

            /**
             * Encodes the specified GenerateRequest message. Does not implicitly {@link llm.v1.GenerateRequest.verify|verify} messages.
             * @function encode
             * @memberof llm.v1.GenerateRequest
             * @static
             * @param {llm.v1.GenerateRequest.$Properties} m GenerateRequest message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            GenerateRequest.encode = function (m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === $undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (m.requestId != null && $Object.hasOwnProperty.call(m, "requestId") && m.requestId !== "")
                    w.uint32(/* id 1, wireType 2 =*/10).string(m.requestId);
                if (m.messages != null && m.messages.length) {
                    for (var i = 0; i < m.messages.length; ++i)
                        $root.llm.v1.ChatMessage.encode(m.messages[i], w.uint32(/* id 2, wireType 2 =*/18).fork(), q + 1).ldelim();
                }
                if (m.system != null && $Object.hasOwnProperty.call(m, "system") && m.system !== "")
                    w.uint32(/* id 3, wireType 2 =*/26).string(m.system);
                if (m.maxTokens != null && $Object.hasOwnProperty.call(m, "maxTokens") && m.maxTokens !== 0)
                    w.uint32(/* id 4, wireType 0 =*/32).uint32(m.maxTokens);
                if (m.temperature != null && $Object.hasOwnProperty.call(m, "temperature"))
                    w.uint32(/* id 5, wireType 1 =*/41).double(m.temperature);
                if (m.topP != null && $Object.hasOwnProperty.call(m, "topP"))
                    w.uint32(/* id 6, wireType 1 =*/49).double(m.topP);
                if (m.model != null && $Object.hasOwnProperty.call(m, "model") && m.model !== "")
                    w.uint32(/* id 7, wireType 2 =*/58).string(m.model);
                if (m.$unknowns != null && $Object.hasOwnProperty.call(m, "$unknowns"))
                    for (var i = 0; i < m.$unknowns.length; ++i)
                        w.raw(m.$unknowns[i]);
                return w;
            };

            /**
             * Decodes a GenerateRequest message from the specified reader or buffer.
             * @function decode
             * @memberof llm.v1.GenerateRequest
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {llm.v1.GenerateRequest & llm.v1.GenerateRequest.$Shape} GenerateRequest
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            GenerateRequest.decode = function (r, l, z, q, g) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (q === $undefined)
                    q = 0;
                if (q > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                var c, m, v;
                if (l === $undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw $RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = g || new $root.llm.v1.GenerateRequest();
                while (r.pos < c) {
                    var s = r.pos;
                    var t = r.tag();
                    if (t === z) {
                        z = $undefined;
                        break;
                    }
                    var u = t & 7;
                    switch (t >>>= 3) {
                    case 1: {
                            if (u !== 2)
                                break;
                            if ((v = r.stringVerify()).length)
                                m.requestId = v;
                            else
                                delete m.requestId;
                            continue;
                        }
                    case 2: {
                            if (u !== 2)
                                break;
                            if (!(m.messages && m.messages.length))
                                m.messages = [];
                            m.messages.push($root.llm.v1.ChatMessage.decode(r, r.size(), $undefined, q + 1));
                            continue;
                        }
                    case 3: {
                            if (u !== 2)
                                break;
                            if ((v = r.stringVerify()).length)
                                m.system = v;
                            else
                                delete m.system;
                            continue;
                        }
                    case 4: {
                            if (u !== 0)
                                break;
                            if (v = r.uint32())
                                m.maxTokens = v;
                            else
                                delete m.maxTokens;
                            continue;
                        }
                    case 5: {
                            if (u !== 1)
                                break;
                            m.temperature = r.double();
                            m._temperature = "temperature";
                            continue;
                        }
                    case 6: {
                            if (u !== 1)
                                break;
                            m.topP = r.double();
                            m._topP = "topP";
                            continue;
                        }
                    case 7: {
                            if (u !== 2)
                                break;
                            if ((v = r.stringVerify()).length)
                                m.model = v;
                            else
                                delete m.model;
                            continue;
                        }
                    }
                    r.skipType(u, q, t);
                    if (!r.discardUnknown) {
                        $util.makeProp(m, "$unknowns", false);
                        (m.$unknowns || (m.$unknowns = [])).push(r.raw(s, r.pos));
                    }
                }
                if (l !== $undefined) {
                    if (r.pos !== c)
                        throw $RangeError("index out of range");
                    r.len = l;
                }
                if (z !== $undefined)
                    throw $Error("missing end group");
                return m;
            };

            /**
             * Verifies a GenerateRequest message.
             * @function verify
             * @memberof llm.v1.GenerateRequest
             * @static
             * @param {Object.<string,*>} m Plain object to verify
             * @returns {string|null} `null` if valid, otherwise the reason why it is not
             */
            GenerateRequest.verify = function (m, q) {
                if (typeof m !== "object" || m === null)
                    return "object expected";
                if (q === $undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    return "max depth exceeded";
                var p = {};
                if (m.requestId != null && $Object.hasOwnProperty.call(m, "requestId")) {
                    if (!$util.isString(m.requestId))
                        return "requestId: string expected";
                }
                if (m.messages != null && $Object.hasOwnProperty.call(m, "messages")) {
                    if (!$Array.isArray(m.messages))
                        return "messages: array expected";
                    for (var i = 0; i < m.messages.length; ++i) {
                        {
                            var e = $root.llm.v1.ChatMessage.verify(m.messages[i], q + 1);
                            if (e)
                                return "messages." + e;
                        }
                    }
                }
                if (m.system != null && $Object.hasOwnProperty.call(m, "system")) {
                    if (!$util.isString(m.system))
                        return "system: string expected";
                }
                if (m.maxTokens != null && $Object.hasOwnProperty.call(m, "maxTokens")) {
                    if (!$util.isInteger(m.maxTokens))
                        return "maxTokens: integer expected";
                }
                if (m.temperature != null && $Object.hasOwnProperty.call(m, "temperature")) {
                    p._temperature = 1;
                    if (typeof m.temperature !== "number")
                        return "temperature: number expected";
                }
                if (m.topP != null && $Object.hasOwnProperty.call(m, "topP")) {
                    p._topP = 1;
                    if (typeof m.topP !== "number")
                        return "topP: number expected";
                }
                if (m.model != null && $Object.hasOwnProperty.call(m, "model")) {
                    if (!$util.isString(m.model))
                        return "model: string expected";
                }
                return null;
            };

            /**
             * Creates a GenerateRequest message from a plain object. Also converts values to their respective internal types.
             * @function fromObject
             * @memberof llm.v1.GenerateRequest
             * @static
             * @param {Object.<string,*>} d Plain object
             * @returns {llm.v1.GenerateRequest} GenerateRequest
             */
            GenerateRequest.fromObject = function (d, q) {
                if (d instanceof $root.llm.v1.GenerateRequest)
                    return d;
                if (!$util.isObject(d))
                    throw $TypeError(".llm.v1.GenerateRequest: object expected");
                if (q === $undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                var m = new $root.llm.v1.GenerateRequest();
                if (d.requestId != null) {
                    if (typeof d.requestId !== "string" || d.requestId.length) {
                        m.requestId = $String(d.requestId);
                    }
                }
                if (d.messages) {
                    if (!$Array.isArray(d.messages))
                        throw $TypeError(".llm.v1.GenerateRequest.messages: array expected");
                    m.messages = $Array(d.messages.length);
                    for (var i = 0; i < d.messages.length; ++i) {
                        if (!$util.isObject(d.messages[i]))
                            throw $TypeError(".llm.v1.GenerateRequest.messages: object expected");
                        m.messages[i] = $root.llm.v1.ChatMessage.fromObject(d.messages[i], q + 1);
                    }
                }
                if (d.system != null) {
                    if (typeof d.system !== "string" || d.system.length) {
                        m.system = $String(d.system);
                    }
                }
                if (d.maxTokens != null) {
                    if ($Number(d.maxTokens) !== 0) {
                        m.maxTokens = d.maxTokens >>> 0;
                    }
                }
                if (d.temperature != null) {
                    m.temperature = $Number(d.temperature);
                }
                if (d.topP != null) {
                    m.topP = $Number(d.topP);
                }
                if (d.model != null) {
                    if (typeof d.model !== "string" || d.model.length) {
                        m.model = $String(d.model);
                    }
                }
                return m;
            };

            /**
             * Creates a plain object from a GenerateRequest message. Also converts values to other types if specified.
             * @function toObject
             * @memberof llm.v1.GenerateRequest
             * @static
             * @param {llm.v1.GenerateRequest} m GenerateRequest
             * @param {$protobuf.IConversionOptions} [o] Conversion options
             * @returns {Object.<string,*>} Plain object
             */
            GenerateRequest.toObject = function (m, o, q) {
                if (!o)
                    o = {};
                if (q === $undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                var d = {};
                if (o.arrays || o.defaults) {
                    d.messages = [];
                }
                if (o.defaults) {
                    d.requestId = "";
                    d.system = "";
                    d.maxTokens = 0;
                    d.model = "";
                }
                if (m.requestId != null && $Object.hasOwnProperty.call(m, "requestId")) {
                    d.requestId = m.requestId;
                }
                if (m.messages && m.messages.length) {
                    d.messages = $Array(m.messages.length);
                    for (var j = 0; j < m.messages.length; ++j) {
                        d.messages[j] = $root.llm.v1.ChatMessage.toObject(m.messages[j], o, q + 1);
                    }
                }
                if (m.system != null && $Object.hasOwnProperty.call(m, "system")) {
                    d.system = m.system;
                }
                if (m.maxTokens != null && $Object.hasOwnProperty.call(m, "maxTokens")) {
                    d.maxTokens = m.maxTokens;
                }
                if (m.temperature != null && $Object.hasOwnProperty.call(m, "temperature")) {
                    d.temperature = o.json && !$isFinite(m.temperature) ? $String(m.temperature) : m.temperature;
                }
                if (m.topP != null && $Object.hasOwnProperty.call(m, "topP")) {
                    d.topP = o.json && !$isFinite(m.topP) ? $String(m.topP) : m.topP;
                }
                if (m.model != null && $Object.hasOwnProperty.call(m, "model")) {
                    d.model = m.model;
                }
                return d;
            };

            /**
             * Converts this GenerateRequest to JSON.
             * @function toJSON
             * @memberof llm.v1.GenerateRequest
             * @instance
             * @returns {Object.<string,*>} JSON object
             */
            GenerateRequest.prototype.toJSON = function() {
                return GenerateRequest.toObject(this, $protobuf.util.toJSONOptions);
            };

            /**
             * Gets the type url for GenerateRequest
             * @function getTypeUrl
             * @memberof llm.v1.GenerateRequest
             * @static
             * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns {string} The type url
             */
            GenerateRequest.getTypeUrl = function(prefix) {
                if (prefix === $undefined)
                    prefix = "type.googleapis.com";
                return prefix + "/llm.v1.GenerateRequest";
            };

            return GenerateRequest;
        })();

        v1.Usage = (function() {

            /**
             * Properties of a Usage.
             * @typedef {Object} llm.v1.Usage.$Properties
             * @property {number|null} [inputTokens] Usage inputTokens
             * @property {number|null} [outputTokens] Usage outputTokens
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of a Usage.
             * @memberof llm.v1
             * @interface IUsage
             * @augments llm.v1.Usage.$Properties
             * @deprecated Use llm.v1.Usage.$Properties instead.
             */

            /**
             * Shape of a Usage.
             * @typedef {llm.v1.Usage.$Properties} llm.v1.Usage.$Shape
             */

            /**
             * Constructs a new Usage.
             * @memberof llm.v1
             * @classdesc Represents a Usage.
             * @constructor
             * @param {llm.v1.Usage.$Properties=} [p] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            var Usage = function (p) {
                if (p)
                    for (var ks = $Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            };

            /**
             * Usage inputTokens.
             * @member {number} inputTokens
             * @memberof llm.v1.Usage
             * @instance
             */
            Usage.prototype.inputTokens = 0;

            /**
             * Usage outputTokens.
             * @member {number} outputTokens
             * @memberof llm.v1.Usage
             * @instance
             */
            Usage.prototype.outputTokens = 0;

            /**
             * Creates a new Usage instance using the specified properties.
             * @function create
             * @memberof llm.v1.Usage
             * @static
             * @param {llm.v1.Usage.$Properties=} [properties] Properties to set
             * @returns {llm.v1.Usage} Usage instance
             * @type {{
             *   (properties: llm.v1.Usage.$Shape): llm.v1.Usage & llm.v1.Usage.$Shape;
             *   (properties?: llm.v1.Usage.$Properties): llm.v1.Usage;
             * }}
             */
            Usage.create = function(properties) {
                return new Usage(properties);
            };

            /**
             * Encodes the specified Usage message. Does not implicitly {@link llm.v1.Usage.verify|verify} messages.
             * @function encode
             * @memberof llm.v1.Usage
             * @static
             * @param {llm.v1.Usage.$Properties} m Usage message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Usage.encode = function (m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === $undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (m.inputTokens != null && $Object.hasOwnProperty.call(m, "inputTokens") && m.inputTokens !== 0)
                    w.uint32(/* id 1, wireType 0 =*/8).uint32(m.inputTokens);
                if (m.outputTokens != null && $Object.hasOwnProperty.call(m, "outputTokens") && m.outputTokens !== 0)
                    w.uint32(/* id 2, wireType 0 =*/16).uint32(m.outputTokens);
                if (m.$unknowns != null && $Object.hasOwnProperty.call(m, "$unknowns"))
                    for (var i = 0; i < m.$unknowns.length; ++i)
                        w.raw(m.$unknowns[i]);
                return w;
            };

            /**
             * Decodes a Usage message from the specified reader or buffer.
             * @function decode
             * @memberof llm.v1.Usage
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {llm.v1.Usage & llm.v1.Usage.$Shape} Usage
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Usage.decode = function (r, l, z, q, g) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (q === $undefined)
                    q = 0;
                if (q > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                var c, m, v;
                if (l === $undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw $RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = g || new $root.llm.v1.Usage();
                while (r.pos < c) {
                    var s = r.pos;
                    var t = r.tag();
                    if (t === z) {
                        z = $undefined;
                        break;
                    }
                    var u = t & 7;
                    switch (t >>>= 3) {
                    case 1: {
                            if (u !== 0)
                                break;
                            if (v = r.uint32())
                                m.inputTokens = v;
                            else
                                delete m.inputTokens;
                            continue;
                        }
                    case 2: {
                            if (u !== 0)
                                break;
                            if (v = r.uint32())
                                m.outputTokens = v;
                            else
                                delete m.outputTokens;
                            continue;
                        }
                    }
                    r.skipType(u, q, t);
                    if (!r.discardUnknown) {
                        $util.makeProp(m, "$unknowns", false);
                        (m.$unknowns || (m.$unknowns = [])).push(r.raw(s, r.pos));
                    }
                }
                if (l !== $undefined) {
                    if (r.pos !== c)
                        throw $RangeError("index out of range");
                    r.len = l;
                }
                if (z !== $undefined)
                    throw $Error("missing end group");
                return m;
            };

            /**
             * Verifies a Usage message.
             * @function verify
             * @memberof llm.v1.Usage
             * @static
             * @param {Object.<string,*>} m Plain object to verify
             * @returns {string|null} `null` if valid, otherwise the reason why it is not
             */
            Usage.verify = function (m, q) {
                if (typeof m !== "object" || m === null)
                    return "object expected";
                if (q === $undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    return "max depth exceeded";
                if (m.inputTokens != null && $Object.hasOwnProperty.call(m, "inputTokens")) {
                    if (!$util.isInteger(m.inputTokens))
                        return "inputTokens: integer expected";
                }
                if (m.outputTokens != null && $Object.hasOwnProperty.call(m, "outputTokens")) {
                    if (!$util.isInteger(m.outputTokens))
                        return "outputTokens: integer expected";
                }
                return null;
            };

            /**
             * Creates a Usage message from a plain object. Also converts values to their respective internal types.
             * @function fromObject
             * @memberof llm.v1.Usage
             * @static
             * @param {Object.<string,*>} d Plain object
             * @returns {llm.v1.Usage} Usage
             */
            Usage.fromObject = function (d, q) {
                if (d instanceof $root.llm.v1.Usage)
                    return d;
                if (!$util.isObject(d))
                    throw $TypeError(".llm.v1.Usage: object expected");
                if (q === $undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                var m = new $root.llm.v1.Usage();
                if (d.inputTokens != null) {
                    if ($Number(d.inputTokens) !== 0) {
                        m.inputTokens = d.inputTokens >>> 0;
                    }
                }
                if (d.outputTokens != null) {
                    if ($Number(d.outputTokens) !== 0) {
                        m.outputTokens = d.outputTokens >>> 0;
                    }
                }
                return m;
            };

            /**
             * Creates a plain object from a Usage message. Also converts values to other types if specified.
             * @function toObject
             * @memberof llm.v1.Usage
             * @static
             * @param {llm.v1.Usage} m Usage
             * @param {$protobuf.IConversionOptions} [o] Conversion options
             * @returns {Object.<string,*>} Plain object
             */
            Usage.toObject = function (m, o, q) {
                if (!o)
                    o = {};
                if (q === $undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                var d = {};
                if (o.defaults) {
                    d.inputTokens = 0;
                    d.outputTokens = 0;
                }
                if (m.inputTokens != null && $Object.hasOwnProperty.call(m, "inputTokens")) {
                    d.inputTokens = m.inputTokens;
                }
                if (m.outputTokens != null && $Object.hasOwnProperty.call(m, "outputTokens")) {
                    d.outputTokens = m.outputTokens;
                }
                return d;
            };

            /**
             * Converts this Usage to JSON.
             * @function toJSON
             * @memberof llm.v1.Usage
             * @instance
             * @returns {Object.<string,*>} JSON object
             */
            Usage.prototype.toJSON = function() {
                return Usage.toObject(this, $protobuf.util.toJSONOptions);
            };

            /**
             * Gets the type url for Usage
             * @function getTypeUrl
             * @memberof llm.v1.Usage
             * @static
             * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns {string} The type url
             */
            Usage.getTypeUrl = function(prefix) {
                if (prefix === $undefined)
                    prefix = "type.googleapis.com";
                return prefix + "/llm.v1.Usage";
            };

            return Usage;
        })();

        v1.GenerateResponse = (function() {

            /**
             * Properties of a GenerateResponse.
             * @typedef {Object} llm.v1.GenerateResponse.$Properties
             * @property {string|null} [requestId] GenerateResponse requestId
             * @property {string|null} [text] GenerateResponse text
             * @property {string|null} [model] GenerateResponse model
             * @property {string|null} [stopReason] GenerateResponse stopReason
             * @property {llm.v1.Usage.$Properties|null} [usage] GenerateResponse usage
             * @property {number|null} [latencyMs] GenerateResponse latencyMs
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of a GenerateResponse.
             * @memberof llm.v1
             * @interface IGenerateResponse
             * @augments llm.v1.GenerateResponse.$Properties
             * @deprecated Use llm.v1.GenerateResponse.$Properties instead.
             */

            /**
             * Shape of a GenerateResponse.
             * @typedef {llm.v1.GenerateResponse.$Properties} llm.v1.GenerateResponse.$Shape
             */

            /**
             * Constructs a new GenerateResponse.
             * @memberof llm.v1
             * @classdesc Represents a GenerateResponse.
             * @constructor
             * @param {llm.v1.GenerateResponse.$Properties=} [p] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            var GenerateResponse = function (p) {
                if (p)
                    for (var ks = $Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            };

            /**
             * GenerateResponse requestId.
             * @member {string} requestId
             * @memberof llm.v1.GenerateResponse
             * @instance
             */
            GenerateResponse.prototype.requestId = "";

            /**
             * GenerateResponse text.
             * @member {string} text
             * @memberof llm.v1.GenerateResponse
             * @instance
             */
            GenerateResponse.prototype.text = "";

            /**
             * GenerateResponse model.
             * @member {string} model
             * @memberof llm.v1.GenerateResponse
             * @instance
             */
            GenerateResponse.prototype.model = "";

            /**
             * GenerateResponse stopReason.
             * @member {string} stopReason
             * @memberof llm.v1.GenerateResponse
             * @instance
             */
            GenerateResponse.prototype.stopReason = "";

            /**
             * GenerateResponse usage.
             * @member {llm.v1.Usage.$Properties|null|undefined} usage
             * @memberof llm.v1.GenerateResponse
             * @instance
             */
            GenerateResponse.prototype.usage = null;

            /**
             * GenerateResponse latencyMs.
             * @member {number} latencyMs
             * @memberof llm.v1.GenerateResponse
             * @instance
             */
            GenerateResponse.prototype.latencyMs = 0;

            /**
             * Creates a new GenerateResponse instance using the specified properties.
             * @function create
             * @memberof llm.v1.GenerateResponse
             * @static
             * @param {llm.v1.GenerateResponse.$Properties=} [properties] Properties to set
             * @returns {llm.v1.GenerateResponse} GenerateResponse instance
             * @type {{
             *   (properties: llm.v1.GenerateResponse.$Shape): llm.v1.GenerateResponse & llm.v1.GenerateResponse.$Shape;
             *   (properties?: llm.v1.GenerateResponse.$Properties): llm.v1.GenerateResponse;
             * }}
             */
            GenerateResponse.create = function(properties) {
                return new GenerateResponse(properties);
            };

            /**
             * Encodes the specified GenerateResponse message. Does not implicitly {@link llm.v1.GenerateResponse.verify|verify} messages.
             * @function encode
             * @memberof llm.v1.GenerateResponse
             * @static
             * @param {llm.v1.GenerateResponse.$Properties} m GenerateResponse message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            GenerateResponse.encode = function (m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === $undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (m.requestId != null && $Object.hasOwnProperty.call(m, "requestId") && m.requestId !== "")
                    w.uint32(/* id 1, wireType 2 =*/10).string(m.requestId);
                if (m.text != null && $Object.hasOwnProperty.call(m, "text") && m.text !== "")
                    w.uint32(/* id 2, wireType 2 =*/18).string(m.text);
                if (m.model != null && $Object.hasOwnProperty.call(m, "model") && m.model !== "")
                    w.uint32(/* id 3, wireType 2 =*/26).string(m.model);
                if (m.stopReason != null && $Object.hasOwnProperty.call(m, "stopReason") && m.stopReason !== "")
                    w.uint32(/* id 4, wireType 2 =*/34).string(m.stopReason);
                if (m.usage != null && $Object.hasOwnProperty.call(m, "usage"))
                    $root.llm.v1.Usage.encode(m.usage, w.uint32(/* id 5, wireType 2 =*/42).fork(), q + 1).ldelim();
                if (m.latencyMs != null && $Object.hasOwnProperty.call(m, "latencyMs") && m.latencyMs !== 0)
                    w.uint32(/* id 6, wireType 0 =*/48).uint32(m.latencyMs);
                if (m.$unknowns != null && $Object.hasOwnProperty.call(m, "$unknowns"))
                    for (var i = 0; i < m.$unknowns.length; ++i)
                        w.raw(m.$unknowns[i]);
                return w;
            };

            /**
             * Decodes a GenerateResponse message from the specified reader or buffer.
             * @function decode
             * @memberof llm.v1.GenerateResponse
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {llm.v1.GenerateResponse & llm.v1.GenerateResponse.$Shape} GenerateResponse
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            GenerateResponse.decode = function (r, l, z, q, g) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (q === $undefined)
                    q = 0;
                if (q > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                var c, m, v;
                if (l === $undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw $RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = g || new $root.llm.v1.GenerateResponse();
                while (r.pos < c) {
                    var s = r.pos;
                    var t = r.tag();
                    if (t === z) {
                        z = $undefined;
                        break;
                    }
                    var u = t & 7;
                    switch (t >>>= 3) {
                    case 1: {
                            if (u !== 2)
                                break;
                            if ((v = r.stringVerify()).length)
                                m.requestId = v;
                            else
                                delete m.requestId;
                            continue;
                        }
                    case 2: {
                            if (u !== 2)
                                break;
                            if ((v = r.stringVerify()).length)
                                m.text = v;
                            else
                                delete m.text;
                            continue;
                        }
                    case 3: {
                            if (u !== 2)
                                break;
                            if ((v = r.stringVerify()).length)
                                m.model = v;
                            else
                                delete m.model;
                            continue;
                        }
                    case 4: {
                            if (u !== 2)
                                break;
                            if ((v = r.stringVerify()).length)
                                m.stopReason = v;
                            else
                                delete m.stopReason;
                            continue;
                        }
                    case 5: {
                            if (u !== 2)
                                break;
                            m.usage = $root.llm.v1.Usage.decode(r, r.size(), $undefined, q + 1, m.usage);
                            continue;
                        }
                    case 6: {
                            if (u !== 0)
                                break;
                            if (v = r.uint32())
                                m.latencyMs = v;
                            else
                                delete m.latencyMs;
                            continue;
                        }
                    }
                    r.skipType(u, q, t);
                    if (!r.discardUnknown) {
                        $util.makeProp(m, "$unknowns", false);
                        (m.$unknowns || (m.$unknowns = [])).push(r.raw(s, r.pos));
                    }
                }
                if (l !== $undefined) {
                    if (r.pos !== c)
                        throw $RangeError("index out of range");
                    r.len = l;
                }
                if (z !== $undefined)
                    throw $Error("missing end group");
                return m;
            };

            /**
             * Verifies a GenerateResponse message.
             * @function verify
             * @memberof llm.v1.GenerateResponse
             * @static
             * @param {Object.<string,*>} m Plain object to verify
             * @returns {string|null} `null` if valid, otherwise the reason why it is not
             */
            GenerateResponse.verify = function (m, q) {
                if (typeof m !== "object" || m === null)
                    return "object expected";
                if (q === $undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    return "max depth exceeded";
                if (m.requestId != null && $Object.hasOwnProperty.call(m, "requestId")) {
                    if (!$util.isString(m.requestId))
                        return "requestId: string expected";
                }
                if (m.text != null && $Object.hasOwnProperty.call(m, "text")) {
                    if (!$util.isString(m.text))
                        return "text: string expected";
                }
                if (m.model != null && $Object.hasOwnProperty.call(m, "model")) {
                    if (!$util.isString(m.model))
                        return "model: string expected";
                }
                if (m.stopReason != null && $Object.hasOwnProperty.call(m, "stopReason")) {
                    if (!$util.isString(m.stopReason))
                        return "stopReason: string expected";
                }
                if (m.usage != null && $Object.hasOwnProperty.call(m, "usage")) {
                    {
                        var e = $root.llm.v1.Usage.verify(m.usage, q + 1);
                        if (e)
                            return "usage." + e;
                    }
                }
                if (m.latencyMs != null && $Object.hasOwnProperty.call(m, "latencyMs")) {
                    if (!$util.isInteger(m.latencyMs))
                        return "latencyMs: integer expected";
                }
                return null;
            };

            /**
             * Creates a GenerateResponse message from a plain object. Also converts values to their respective internal types.
             * @function fromObject
             * @memberof llm.v1.GenerateResponse
             * @static
             * @param {Object.<string,*>} d Plain object
             * @returns {llm.v1.GenerateResponse} GenerateResponse
             */
            GenerateResponse.fromObject = function (d, q) {
                if (d instanceof $root.llm.v1.GenerateResponse)
                    return d;
                if (!$util.isObject(d))
                    throw $TypeError(".llm.v1.GenerateResponse: object expected");
                if (q === $undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                var m = new $root.llm.v1.GenerateResponse();
                if (d.requestId != null) {
                    if (typeof d.requestId !== "string" || d.requestId.length) {
                        m.requestId = $String(d.requestId);
                    }
                }
                if (d.text != null) {
                    if (typeof d.text !== "string" || d.text.length) {
                        m.text = $String(d.text);
                    }
                }
                if (d.model != null) {
                    if (typeof d.model !== "string" || d.model.length) {
                        m.model = $String(d.model);
                    }
                }
                if (d.stopReason != null) {
                    if (typeof d.stopReason !== "string" || d.stopReason.length) {
                        m.stopReason = $String(d.stopReason);
                    }
                }
                if (d.usage != null) {
                    if (!$util.isObject(d.usage))
                        throw $TypeError(".llm.v1.GenerateResponse.usage: object expected");
                    m.usage = $root.llm.v1.Usage.fromObject(d.usage, q + 1);
                }
                if (d.latencyMs != null) {
                    if ($Number(d.latencyMs) !== 0) {
                        m.latencyMs = d.latencyMs >>> 0;
                    }
                }
                return m;
            };

            /**
             * Creates a plain object from a GenerateResponse message. Also converts values to other types if specified.
             * @function toObject
             * @memberof llm.v1.GenerateResponse
             * @static
             * @param {llm.v1.GenerateResponse} m GenerateResponse
             * @param {$protobuf.IConversionOptions} [o] Conversion options
             * @returns {Object.<string,*>} Plain object
             */
            GenerateResponse.toObject = function (m, o, q) {
                if (!o)
                    o = {};
                if (q === $undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                var d = {};
                if (o.defaults) {
                    d.requestId = "";
                    d.text = "";
                    d.model = "";
                    d.stopReason = "";
                    d.usage = null;
                    d.latencyMs = 0;
                }
                if (m.requestId != null && $Object.hasOwnProperty.call(m, "requestId")) {
                    d.requestId = m.requestId;
                }
                if (m.text != null && $Object.hasOwnProperty.call(m, "text")) {
                    d.text = m.text;
                }
                if (m.model != null && $Object.hasOwnProperty.call(m, "model")) {
                    d.model = m.model;
                }
                if (m.stopReason != null && $Object.hasOwnProperty.call(m, "stopReason")) {
                    d.stopReason = m.stopReason;
                }
                if (m.usage != null && $Object.hasOwnProperty.call(m, "usage")) {
                    d.usage = $root.llm.v1.Usage.toObject(m.usage, o, q + 1);
                }
                if (m.latencyMs != null && $Object.hasOwnProperty.call(m, "latencyMs")) {
                    d.latencyMs = m.latencyMs;
                }
                return d;
            };

            /**
             * Converts this GenerateResponse to JSON.
             * @function toJSON
             * @memberof llm.v1.GenerateResponse
             * @instance
             * @returns {Object.<string,*>} JSON object
             */
            GenerateResponse.prototype.toJSON = function() {
                return GenerateResponse.toObject(this, $protobuf.util.toJSONOptions);
            };

            /**
             * Gets the type url for GenerateResponse
             * @function getTypeUrl
             * @memberof llm.v1.GenerateResponse
             * @static
             * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns {string} The type url
             */
            GenerateResponse.getTypeUrl = function(prefix) {
                if (prefix === $undefined)
                    prefix = "type.googleapis.com";
                return prefix + "/llm.v1.GenerateResponse";
            };

            return GenerateResponse;
        })();

        v1.ErrorResponse = (function() {

            /**
             * Properties of an ErrorResponse.
             * @typedef {Object} llm.v1.ErrorResponse.$Properties
             * @property {string|null} [code] ErrorResponse code
             * @property {string|null} [message] ErrorResponse message
             * @property {boolean|null} [retryable] ErrorResponse retryable
             * @property {string|null} [requestId] ErrorResponse requestId
             * @property {number|null} [retryAfterMs] ErrorResponse retryAfterMs
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of an ErrorResponse.
             * @memberof llm.v1
             * @interface IErrorResponse
             * @augments llm.v1.ErrorResponse.$Properties
             * @deprecated Use llm.v1.ErrorResponse.$Properties instead.
             */

            /**
             * Shape of an ErrorResponse.
             * @typedef {llm.v1.ErrorResponse.$Properties} llm.v1.ErrorResponse.$Shape
             */

            /**
             * Constructs a new ErrorResponse.
             * @memberof llm.v1
             * @classdesc Represents an ErrorResponse.
             * @constructor
             * @param {llm.v1.ErrorResponse.$Properties=} [p] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            var ErrorResponse = function (p) {
                if (p)
                    for (var ks = $Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            };

            /**
             * ErrorResponse code.
             * @member {string} code
             * @memberof llm.v1.ErrorResponse
             * @instance
             */
            ErrorResponse.prototype.code = "";

            /**
             * ErrorResponse message.
             * @member {string} message
             * @memberof llm.v1.ErrorResponse
             * @instance
             */
            ErrorResponse.prototype.message = "";

            /**
             * ErrorResponse retryable.
             * @member {boolean} retryable
             * @memberof llm.v1.ErrorResponse
             * @instance
             */
            ErrorResponse.prototype.retryable = false;

            /**
             * ErrorResponse requestId.
             * @member {string} requestId
             * @memberof llm.v1.ErrorResponse
             * @instance
             */
            ErrorResponse.prototype.requestId = "";

            /**
             * ErrorResponse retryAfterMs.
             * @member {number} retryAfterMs
             * @memberof llm.v1.ErrorResponse
             * @instance
             */
            ErrorResponse.prototype.retryAfterMs = 0;

            /**
             * Creates a new ErrorResponse instance using the specified properties.
             * @function create
             * @memberof llm.v1.ErrorResponse
             * @static
             * @param {llm.v1.ErrorResponse.$Properties=} [properties] Properties to set
             * @returns {llm.v1.ErrorResponse} ErrorResponse instance
             * @type {{
             *   (properties: llm.v1.ErrorResponse.$Shape): llm.v1.ErrorResponse & llm.v1.ErrorResponse.$Shape;
             *   (properties?: llm.v1.ErrorResponse.$Properties): llm.v1.ErrorResponse;
             * }}
             */
            ErrorResponse.create = function(properties) {
                return new ErrorResponse(properties);
            };

            /**
             * Encodes the specified ErrorResponse message. Does not implicitly {@link llm.v1.ErrorResponse.verify|verify} messages.
             * @function encode
             * @memberof llm.v1.ErrorResponse
             * @static
             * @param {llm.v1.ErrorResponse.$Properties} m ErrorResponse message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            ErrorResponse.encode = function (m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === $undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (m.code != null && $Object.hasOwnProperty.call(m, "code") && m.code !== "")
                    w.uint32(/* id 1, wireType 2 =*/10).string(m.code);
                if (m.message != null && $Object.hasOwnProperty.call(m, "message") && m.message !== "")
                    w.uint32(/* id 2, wireType 2 =*/18).string(m.message);
                if (m.retryable != null && $Object.hasOwnProperty.call(m, "retryable") && m.retryable !== false)
                    w.uint32(/* id 3, wireType 0 =*/24).bool(m.retryable);
                if (m.requestId != null && $Object.hasOwnProperty.call(m, "requestId") && m.requestId !== "")
                    w.uint32(/* id 4, wireType 2 =*/34).string(m.requestId);
                if (m.retryAfterMs != null && $Object.hasOwnProperty.call(m, "retryAfterMs") && m.retryAfterMs !== 0)
                    w.uint32(/* id 5, wireType 0 =*/40).uint32(m.retryAfterMs);
                if (m.$unknowns != null && $Object.hasOwnProperty.call(m, "$unknowns"))
                    for (var i = 0; i < m.$unknowns.length; ++i)
                        w.raw(m.$unknowns[i]);
                return w;
            };

            /**
             * Decodes an ErrorResponse message from the specified reader or buffer.
             * @function decode
             * @memberof llm.v1.ErrorResponse
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {llm.v1.ErrorResponse & llm.v1.ErrorResponse.$Shape} ErrorResponse
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            ErrorResponse.decode = function (r, l, z, q, g) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (q === $undefined)
                    q = 0;
                if (q > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                var c, m, v;
                if (l === $undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw $RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = g || new $root.llm.v1.ErrorResponse();
                while (r.pos < c) {
                    var s = r.pos;
                    var t = r.tag();
                    if (t === z) {
                        z = $undefined;
                        break;
                    }
                    var u = t & 7;
                    switch (t >>>= 3) {
                    case 1: {
                            if (u !== 2)
                                break;
                            if ((v = r.stringVerify()).length)
                                m.code = v;
                            else
                                delete m.code;
                            continue;
                        }
                    case 2: {
                            if (u !== 2)
                                break;
                            if ((v = r.stringVerify()).length)
                                m.message = v;
                            else
                                delete m.message;
                            continue;
                        }
                    case 3: {
                            if (u !== 0)
                                break;
                            if (v = r.bool())
                                m.retryable = v;
                            else
                                delete m.retryable;
                            continue;
                        }
                    case 4: {
                            if (u !== 2)
                                break;
                            if ((v = r.stringVerify()).length)
                                m.requestId = v;
                            else
                                delete m.requestId;
                            continue;
                        }
                    case 5: {
                            if (u !== 0)
                                break;
                            if (v = r.uint32())
                                m.retryAfterMs = v;
                            else
                                delete m.retryAfterMs;
                            continue;
                        }
                    }
                    r.skipType(u, q, t);
                    if (!r.discardUnknown) {
                        $util.makeProp(m, "$unknowns", false);
                        (m.$unknowns || (m.$unknowns = [])).push(r.raw(s, r.pos));
                    }
                }
                if (l !== $undefined) {
                    if (r.pos !== c)
                        throw $RangeError("index out of range");
                    r.len = l;
                }
                if (z !== $undefined)
                    throw $Error("missing end group");
                return m;
            };

            /**
             * Verifies an ErrorResponse message.
             * @function verify
             * @memberof llm.v1.ErrorResponse
             * @static
             * @param {Object.<string,*>} m Plain object to verify
             * @returns {string|null} `null` if valid, otherwise the reason why it is not
             */
            ErrorResponse.verify = function (m, q) {
                if (typeof m !== "object" || m === null)
                    return "object expected";
                if (q === $undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    return "max depth exceeded";
                if (m.code != null && $Object.hasOwnProperty.call(m, "code")) {
                    if (!$util.isString(m.code))
                        return "code: string expected";
                }
                if (m.message != null && $Object.hasOwnProperty.call(m, "message")) {
                    if (!$util.isString(m.message))
                        return "message: string expected";
                }
                if (m.retryable != null && $Object.hasOwnProperty.call(m, "retryable")) {
                    if (typeof m.retryable !== "boolean")
                        return "retryable: boolean expected";
                }
                if (m.requestId != null && $Object.hasOwnProperty.call(m, "requestId")) {
                    if (!$util.isString(m.requestId))
                        return "requestId: string expected";
                }
                if (m.retryAfterMs != null && $Object.hasOwnProperty.call(m, "retryAfterMs")) {
                    if (!$util.isInteger(m.retryAfterMs))
                        return "retryAfterMs: integer expected";
                }
                return null;
            };

            /**
             * Creates an ErrorResponse message from a plain object. Also converts values to their respective internal types.
             * @function fromObject
             * @memberof llm.v1.ErrorResponse
             * @static
             * @param {Object.<string,*>} d Plain object
             * @returns {llm.v1.ErrorResponse} ErrorResponse
             */
            ErrorResponse.fromObject = function (d, q) {
                if (d instanceof $root.llm.v1.ErrorResponse)
                    return d;
                if (!$util.isObject(d))
                    throw $TypeError(".llm.v1.ErrorResponse: object expected");
                if (q === $undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                var m = new $root.llm.v1.ErrorResponse();
                if (d.code != null) {
                    if (typeof d.code !== "string" || d.code.length) {
                        m.code = $String(d.code);
                    }
                }
                if (d.message != null) {
                    if (typeof d.message !== "string" || d.message.length) {
                        m.message = $String(d.message);
                    }
                }
                if (d.retryable != null) {
                    if (d.retryable) {
                        m.retryable = $Boolean(d.retryable);
                    }
                }
                if (d.requestId != null) {
                    if (typeof d.requestId !== "string" || d.requestId.length) {
                        m.requestId = $String(d.requestId);
                    }
                }
                if (d.retryAfterMs != null) {
                    if ($Number(d.retryAfterMs) !== 0) {
                        m.retryAfterMs = d.retryAfterMs >>> 0;
                    }
                }
                return m;
            };

            /**
             * Creates a plain object from an ErrorResponse message. Also converts values to other types if specified.
             * @function toObject
             * @memberof llm.v1.ErrorResponse
             * @static
             * @param {llm.v1.ErrorResponse} m ErrorResponse
             * @param {$protobuf.IConversionOptions} [o] Conversion options
             * @returns {Object.<string,*>} Plain object
             */
            ErrorResponse.toObject = function (m, o, q) {
                if (!o)
                    o = {};
                if (q === $undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                var d = {};
                if (o.defaults) {
                    d.code = "";
                    d.message = "";
                    d.retryable = false;
                    d.requestId = "";
                    d.retryAfterMs = 0;
                }
                if (m.code != null && $Object.hasOwnProperty.call(m, "code")) {
                    d.code = m.code;
                }
                if (m.message != null && $Object.hasOwnProperty.call(m, "message")) {
                    d.message = m.message;
                }
                if (m.retryable != null && $Object.hasOwnProperty.call(m, "retryable")) {
                    d.retryable = m.retryable;
                }
                if (m.requestId != null && $Object.hasOwnProperty.call(m, "requestId")) {
                    d.requestId = m.requestId;
                }
                if (m.retryAfterMs != null && $Object.hasOwnProperty.call(m, "retryAfterMs")) {
                    d.retryAfterMs = m.retryAfterMs;
                }
                return d;
            };

            /**
             * Converts this ErrorResponse to JSON.
             * @function toJSON
             * @memberof llm.v1.ErrorResponse
             * @instance
             * @returns {Object.<string,*>} JSON object
             */
            ErrorResponse.prototype.toJSON = function() {
                return ErrorResponse.toObject(this, $protobuf.util.toJSONOptions);
            };

            /**
             * Gets the type url for ErrorResponse
             * @function getTypeUrl
             * @memberof llm.v1.ErrorResponse
             * @static
             * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns {string} The type url
             */
            ErrorResponse.getTypeUrl = function(prefix) {
                if (prefix === $undefined)
                    prefix = "type.googleapis.com";
                return prefix + "/llm.v1.ErrorResponse";
            };

            return ErrorResponse;
        })();

        return v1;
    })();

    return llm;
})();

module.exports = $root;
