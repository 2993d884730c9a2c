/**
 * OData v2 `$filter` as Exact accepts it: comparisons of one property with one literal
 * (`eq ne gt ge lt le`), joined by `and`/`or`, grouped with parentheses. Literals: strings
 * ('' escapes a quote), guid'…', datetime'…', numbers (optionally with an L suffix),
 * true/false, null. Strings compare case-insensitively, like Exact's SQL Server collation.
 * Property-to-property comparisons, functions and navigation paths are refused, as Exact does.
 *
 * A `datetime'…'` literal without a zone is Amsterdam wall-clock time, as Exact's own dates
 * are (one with `Z` or an offset is taken as that instant). Fixed-width strings (`Code`,
 * `Country`, `Language`) compare trimmed, so a literal matches with or without the padding:
 * whether the real service matches an unpadded literal is unverified (its documentation asks
 * for the leading spaces in filters on an Account's `Code`).
 */
import { parseExactIsoDate } from "./amsterdam-time";
import { ExactApiError } from "./errors";
import { fieldValue } from "./model";
import type { EntityDef, FieldDef, FieldType, Row, StoredValue } from "./model";
import { isGuid } from "./write-body";

export type ComparisonOperator = "eq" | "ne" | "gt" | "ge" | "lt" | "le";

type LiteralValue = string | number | boolean | null;
interface Literal {
  edmType: FieldType | "null";
  value: LiteralValue;
}

export type FilterExpr =
  | { kind: "and" | "or"; left: FilterExpr; right: FilterExpr }
  | { kind: "compare"; operator: ComparisonOperator; field: string; def: FieldDef; literal: Literal };

type Token =
  | { kind: "open" | "close"; position: number }
  | { kind: "word"; text: string; position: number }
  | { kind: "literal"; literal: Literal; position: number };

const OPERATORS = new Set<string>(["eq", "ne", "gt", "ge", "lt", "le"]);
const MIRRORED: Record<ComparisonOperator, ComparisonOperator> = {
  eq: "eq",
  ne: "ne",
  gt: "lt",
  ge: "le",
  lt: "gt",
  le: "ge",
};

function syntaxError(message: string, position: number): ExactApiError {
  return new ExactApiError(400, `Invalid $filter: ${message} at position ${position}.`);
}

/** Reads a quoted body starting at the quote; returns the unescaped text and the index after it. */
function readQuoted(text: string, quoteAt: number): { body: string; end: number } {
  let body = "";
  let index = quoteAt + 1;
  while (index < text.length) {
    const char = text[index];
    if (char === "'") {
      if (text[index + 1] === "'") {
        body += "'";
        index += 2;
        continue;
      }
      return { body, end: index + 1 };
    }
    body += char;
    index += 1;
  }
  throw syntaxError("unterminated string literal", quoteAt);
}

function typedLiteral(prefix: string, body: string, position: number): Literal {
  switch (prefix) {
    case "guid":
      if (!isGuid(body)) throw syntaxError(`'${body}' is not a valid Guid`, position);
      return { edmType: "Edm.Guid", value: body.toLowerCase() };
    case "datetime":
    case "datetimeoffset": {
      const ms = parseExactIsoDate(body);
      if (ms === undefined) throw syntaxError(`'${body}' is not a valid datetime`, position);
      return { edmType: "Edm.DateTime", value: ms };
    }
    default:
      throw syntaxError(`unsupported literal type '${prefix}'`, position);
  }
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text[index] ?? "";
    if (/\s/.test(char)) {
      index += 1;
    } else if (char === "(" || char === ")") {
      tokens.push({ kind: char === "(" ? "open" : "close", position: index });
      index += 1;
    } else if (char === "'") {
      const { body, end } = readQuoted(text, index);
      tokens.push({ kind: "literal", literal: { edmType: "Edm.String", value: body }, position: index });
      index = end;
    } else if (/[-\d]/.test(char)) {
      const match = /^-?\d+(\.\d+)?([eE][+-]?\d+)?[LlMmDdFf]?/.exec(text.slice(index));
      if (!match) throw syntaxError(`unexpected '${char}'`, index);
      const value = Number(match[0].replace(/[LlMmDdFf]$/, ""));
      tokens.push({ kind: "literal", literal: { edmType: "Edm.Int64", value }, position: index });
      index += match[0].length;
    } else if (/[A-Za-z_]/.test(char)) {
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(index))?.[0] ?? char;
      const after = index + word.length;
      if (text[after] === "'") {
        const { body, end } = readQuoted(text, after);
        tokens.push({ kind: "literal", literal: typedLiteral(word, body, index), position: index });
        index = end;
      } else if (text[after] === "/") {
        throw syntaxError("navigation properties are not supported in $filter", index);
      } else {
        tokens.push({ kind: "word", text: word, position: index });
        index = after;
      }
    } else {
      throw syntaxError(`unexpected '${char}'`, index);
    }
  }
  return tokens;
}

const KEYWORD_LITERALS: Record<string, Literal> = {
  true: { edmType: "Edm.Boolean", value: true },
  false: { edmType: "Edm.Boolean", value: false },
  null: { edmType: "null", value: null },
};

/** Which literal types each property type accepts. */
function compatible(fieldType: FieldType, literalType: Literal["edmType"]): boolean {
  if (literalType === "null") return true;
  if (fieldType === "Edm.Int32" || fieldType === "Edm.Int64" || fieldType === "Edm.Double") return literalType === "Edm.Int64";
  return fieldType === literalType;
}

class FilterParser {
  private index = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly entity: EntityDef,
    private readonly textLength: number,
  ) {}

  parse(): FilterExpr {
    const expr = this.parseOr();
    const extra = this.tokens[this.index];
    if (extra) throw syntaxError("unexpected token", extra.position);
    return expr;
  }

  private parseOr(): FilterExpr {
    let left = this.parseAnd();
    while (this.peekWord("or")) {
      this.index += 1;
      left = { kind: "or", left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): FilterExpr {
    let left = this.parsePrimary();
    while (this.peekWord("and")) {
      this.index += 1;
      left = { kind: "and", left, right: this.parsePrimary() };
    }
    return left;
  }

  private parsePrimary(): FilterExpr {
    const token = this.tokens[this.index];
    if (token?.kind === "open") {
      this.index += 1;
      const inner = this.parseOr();
      const close = this.tokens[this.index];
      if (close?.kind !== "close") throw syntaxError("')' expected", close?.position ?? this.textLength);
      this.index += 1;
      return inner;
    }
    return this.parseComparison();
  }

  private parseComparison(): FilterExpr {
    const left = this.operand();
    const operatorToken = this.tokens[this.index];
    if (operatorToken?.kind !== "word" || !OPERATORS.has(operatorToken.text)) {
      throw syntaxError("comparison operator expected", operatorToken?.position ?? this.textLength);
    }
    this.index += 1;
    const right = this.operand();
    const operator = operatorToken.text as ComparisonOperator;
    if ("field" in left && "literal" in right) return this.comparison(operator, left.field, right.literal, operatorToken.position);
    if ("literal" in left && "field" in right) {
      return this.comparison(MIRRORED[operator], right.field, left.literal, operatorToken.position);
    }
    throw syntaxError("a comparison needs one property and one literal", operatorToken.position);
  }

  private comparison(operator: ComparisonOperator, field: string, literal: Literal, position: number): FilterExpr {
    const def = this.entity.fields[field];
    if (!def) throw new ExactApiError(400, `Invalid $filter: no property '${field}' exists in type '${this.entity.odataType}'.`);
    if (!compatible(def.type, literal.edmType)) {
      throw new ExactApiError(
        400,
        `Invalid $filter: operator '${operator}' incompatible with operand types '${def.type}' and '${literal.edmType}' at position ${position}.`,
      );
    }
    const value = def.fixedWidth && typeof literal.value === "string" ? { ...literal, value: literal.value.trim() } : literal;
    return { kind: "compare", operator, field, def, literal: value };
  }

  private operand(): { field: string } | { literal: Literal } {
    const token = this.tokens[this.index];
    if (!token) throw syntaxError("operand expected", this.textLength);
    this.index += 1;
    if (token.kind === "literal") return { literal: token.literal };
    if (token.kind === "word") {
      const keyword = KEYWORD_LITERALS[token.text];
      if (keyword) return { literal: keyword };
      if (this.tokens[this.index]?.kind === "open") throw syntaxError(`unsupported function '${token.text}'`, token.position);
      return { field: token.text };
    }
    throw syntaxError("operand expected", token.position);
  }

  private peekWord(word: string): boolean {
    const token = this.tokens[this.index];
    return token?.kind === "word" && token.text === word;
  }
}

export function parseFilter(text: string, entity: EntityDef): FilterExpr {
  return new FilterParser(tokenize(text), entity, text.length).parse();
}

/** The properties a filter reads. */
export function filterFields(expr: FilterExpr): string[] {
  return expr.kind === "compare" ? [expr.field] : [...filterFields(expr.left), ...filterFields(expr.right)];
}

function order(value: Exclude<StoredValue, null>, literal: Exclude<LiteralValue, null>): number {
  if (typeof value === "string" && typeof literal === "string") {
    const a = value.toLowerCase();
    const b = literal.toLowerCase();
    return a < b ? -1 : a > b ? 1 : 0;
  }
  return Number(value) - Number(literal);
}

function compare(operator: ComparisonOperator, value: StoredValue | undefined, literal: LiteralValue): boolean {
  // Null handling follows .NET (LINQ) semantics: null equals only null, and orders nothing.
  if (literal === null || value === null || value === undefined) {
    const bothNull = literal === null && (value === null || value === undefined);
    if (operator === "eq") return bothNull;
    if (operator === "ne") return !bothNull;
    return false;
  }
  const difference = order(value, literal);
  switch (operator) {
    case "eq":
      return difference === 0;
    case "ne":
      return difference !== 0;
    case "gt":
      return difference > 0;
    case "ge":
      return difference >= 0;
    case "lt":
      return difference < 0;
    case "le":
      return difference <= 0;
  }
}

export function matchesFilter(expr: FilterExpr, record: Row): boolean {
  switch (expr.kind) {
    case "and":
      return matchesFilter(expr.left, record) && matchesFilter(expr.right, record);
    case "or":
      return matchesFilter(expr.left, record) || matchesFilter(expr.right, record);
    case "compare":
      return compare(expr.operator, fieldValue(record, expr.field, expr.def), expr.literal.value);
  }
}
