import * as $protobuf from "protobufjs";
import Long = require("long");

export namespace llm {

    namespace v1 {

        enum Role {
            ROLE_UNSPECIFIED = 0,
            ROLE_USER = 1,
            ROLE_ASSISTANT = 2
        }

        interface IChatMessage extends llm.v1.ChatMessage.$Properties {
        }

        class ChatMessage {
            constructor(p?: llm.v1.ChatMessage.$Properties);
            $unknowns?: Uint8Array[];
            role: llm.v1.Role;
            content: string;
            static create(properties: llm.v1.ChatMessage.$Shape): llm.v1.ChatMessage & llm.v1.ChatMessage.$Shape;
            static create(properties?: llm.v1.ChatMessage.$Properties): llm.v1.ChatMessage;
            static encode(m: llm.v1.ChatMessage.$Properties, w?: $protobuf.Writer): $protobuf.Writer;
            static decode(r: ($protobuf.Reader|Uint8Array), l?: number): llm.v1.ChatMessage & llm.v1.ChatMessage.$Shape;
            static verify(m: { [k: string]: any }): (string|null);
            static fromObject(d: { [k: string]: any }): llm.v1.ChatMessage;
            static toObject(m: llm.v1.ChatMessage, o?: $protobuf.IConversionOptions): { [k: string]: any };
            toJSON(): { [k: string]: any };
            static getTypeUrl(prefix?: string): string;
        }

        namespace ChatMessage {
            interface $Properties {
                role?: (llm.v1.Role|null);
                content?: (string|null);
                $unknowns?: Uint8Array[];
            }
            type $Shape = llm.v1.ChatMessage.$Properties;
        }

        interface IGenerateRequest extends llm.v1.GenerateRequest.$Properties {
        }

        class GenerateRequest {
            constructor(p?: llm.v1.GenerateRequest.$Properties);
            $unknowns?: Uint8Array[];
            requestId: string;
            messages: llm.v1.ChatMessage.$Properties[];
            system: string;
            maxTokens: number;
            temperature?: (number|null);
            topP?: (number|null);
            model: string;
            static create(properties: llm.v1.GenerateRequest.$Shape): llm.v1.GenerateRequest & llm.v1.GenerateRequest.$Shape;
            static create(properties?: llm.v1.GenerateRequest.$Properties): llm.v1.GenerateRequest;
            static encode(m: llm.v1.GenerateRequest.$Properties, w?: $protobuf.Writer): $protobuf.Writer;
            static decode(r: ($protobuf.Reader|Uint8Array), l?: number): llm.v1.GenerateRequest & llm.v1.GenerateRequest.$Shape;
            static verify(m: { [k: string]: any }): (string|null);
            static fromObject(d: { [k: string]: any }): llm.v1.GenerateRequest;
            static toObject(m: llm.v1.GenerateRequest, o?: $protobuf.IConversionOptions): { [k: string]: any };
            toJSON(): { [k: string]: any };
            static getTypeUrl(prefix?: string): string;
        }

        namespace GenerateRequest {
            interface $Properties {
                requestId?: (string|null);
                messages?: (llm.v1.ChatMessage.$Properties[]|null);
                system?: (string|null);
                maxTokens?: (number|null);
                temperature?: (number|null);
                topP?: (number|null);
                model?: (string|null);
                $unknowns?: Uint8Array[];
            }
            type $Shape = llm.v1.GenerateRequest.$Properties;
        }

        interface IUsage extends llm.v1.Usage.$Properties {
        }

        class Usage {
            constructor(p?: llm.v1.Usage.$Properties);
            $unknowns?: Uint8Array[];
            inputTokens: number;
            outputTokens: number;
            static create(properties: llm.v1.Usage.$Shape): llm.v1.Usage & llm.v1.Usage.$Shape;
            static create(properties?: llm.v1.Usage.$Properties): llm.v1.Usage;
            static encode(m: llm.v1.Usage.$Properties, w?: $protobuf.Writer): $protobuf.Writer;
            static decode(r: ($protobuf.Reader|Uint8Array), l?: number): llm.v1.Usage & llm.v1.Usage.$Shape;
            static verify(m: { [k: string]: any }): (string|null);
            static fromObject(d: { [k: string]: any }): llm.v1.Usage;
            static toObject(m: llm.v1.Usage, o?: $protobuf.IConversionOptions): { [k: string]: any };
            toJSON(): { [k: string]: any };
            static getTypeUrl(prefix?: string): string;
        }

        namespace Usage {
            interface $Properties {
                inputTokens?: (number|null);
                outputTokens?: (number|null);
                $unknowns?: Uint8Array[];
            }
            type $Shape = llm.v1.Usage.$Properties;
        }

        interface IGenerateResponse extends llm.v1.GenerateResponse.$Properties {
        }

        class GenerateResponse {
            constructor(p?: llm.v1.GenerateResponse.$Properties);
            $unknowns?: Uint8Array[];
            requestId: string;
            text: string;
            model: string;
            stopReason: string;
            usage?: (llm.v1.Usage.$Properties|null);
            latencyMs: number;
            static create(properties: llm.v1.GenerateResponse.$Shape): llm.v1.GenerateResponse & llm.v1.GenerateResponse.$Shape;
            static create(properties?: llm.v1.GenerateResponse.$Properties): llm.v1.GenerateResponse;
            static encode(m: llm.v1.GenerateResponse.$Properties, w?: $protobuf.Writer): $protobuf.Writer;
            static decode(r: ($protobuf.Reader|Uint8Array), l?: number): llm.v1.GenerateResponse & llm.v1.GenerateResponse.$Shape;
            static verify(m: { [k: string]: any }): (string|null);
            static fromObject(d: { [k: string]: any }): llm.v1.GenerateResponse;
            static toObject(m: llm.v1.GenerateResponse, o?: $protobuf.IConversionOptions): { [k: string]: any };
            toJSON(): { [k: string]: any };
            static getTypeUrl(prefix?: string): string;
        }

        namespace GenerateResponse {
            interface $Properties {
                requestId?: (string|null);
                text?: (string|null);
                model?: (string|null);
                stopReason?: (string|null);
                usage?: (llm.v1.Usage.$Properties|null);
                latencyMs?: (number|null);
                $unknowns?: Uint8Array[];
            }
            type $Shape = llm.v1.GenerateResponse.$Properties;
        }

        interface IErrorResponse extends llm.v1.ErrorResponse.$Properties {
        }

        class ErrorResponse {
            constructor(p?: llm.v1.ErrorResponse.$Properties);
            $unknowns?: Uint8Array[];
            code: string;
            message: string;
            retryable: boolean;
            requestId: string;
            retryAfterMs: number;
            static create(properties: llm.v1.ErrorResponse.$Shape): llm.v1.ErrorResponse & llm.v1.ErrorResponse.$Shape;
            static create(properties?: llm.v1.ErrorResponse.$Properties): llm.v1.ErrorResponse;
            static encode(m: llm.v1.ErrorResponse.$Properties, w?: $protobuf.Writer): $protobuf.Writer;
            static decode(r: ($protobuf.Reader|Uint8Array), l?: number): llm.v1.ErrorResponse & llm.v1.ErrorResponse.$Shape;
            static verify(m: { [k: string]: any }): (string|null);
            static fromObject(d: { [k: string]: any }): llm.v1.ErrorResponse;
            static toObject(m: llm.v1.ErrorResponse, o?: $protobuf.IConversionOptions): { [k: string]: any };
            toJSON(): { [k: string]: any };
            static getTypeUrl(prefix?: string): string;
        }

        namespace ErrorResponse {
            interface $Properties {
                code?: (string|null);
                message?: (string|null);
                retryable?: (boolean|null);
                requestId?: (string|null);
                retryAfterMs?: (number|null);
                $unknowns?: Uint8Array[];
            }
            type $Shape = llm.v1.ErrorResponse.$Properties;
        }
    }
}
