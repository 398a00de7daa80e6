//! Tokens of CQL2 text, each with its 1-based character position for error messages.

use super::FilterError;

/// A token kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A name: a property, a keyword or a function (keywords are matched case-insensitively).
    Ident(String),
    /// A double-quoted name, never a keyword.
    QuotedIdent(String),
    /// A single-quoted string literal.
    Str(String),
    /// A number literal.
    Num(f64),
    /// `=`, `<>`, `<`, `<=`, `>`, `>=`.
    Op(&'static str),
    /// `(`.
    LParen,
    /// `)`.
    RParen,
    /// `,`.
    Comma,
}

/// A token, its character position (1-based) and its byte span in the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub pos: usize,
    pub start: usize,
    pub end: usize,
}

/// Splits a filter into tokens.
///
/// # Errors
/// An unterminated string or quoted name, or a character that starts no token.
pub fn lex(input: &str) -> Result<Vec<Token>, FilterError> {
    let chars: Vec<(usize, char)> = input.char_indices().collect();
    let byte_at = |i: usize| chars.get(i).map_or(input.len(), |(b, _)| *b);
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        let pos = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let push = |tokens: &mut Vec<Token>, tok, next: usize| {
            tokens.push(Token {
                tok,
                pos,
                start,
                end: byte_at(next),
            })
        };
        match c {
            '(' => {
                push(&mut tokens, Tok::LParen, i + 1);
                i += 1;
            }
            ')' => {
                push(&mut tokens, Tok::RParen, i + 1);
                i += 1;
            }
            ',' => {
                push(&mut tokens, Tok::Comma, i + 1);
                i += 1;
            }
            '=' => {
                push(&mut tokens, Tok::Op("="), i + 1);
                i += 1;
            }
            '<' | '>' => {
                let next = chars.get(i + 1).map(|(_, c)| *c);
                let (op, len) = match (c, next) {
                    ('<', Some('>')) => ("<>", 2),
                    ('<', Some('=')) => ("<=", 2),
                    ('>', Some('=')) => (">=", 2),
                    ('<', _) => ("<", 1),
                    _ => (">", 1),
                };
                push(&mut tokens, Tok::Op(op), i + len);
                i += len;
            }
            '\'' | '"' => {
                let quote = c;
                let mut text = String::new();
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None => {
                            return Err(FilterError::at(
                                pos,
                                if quote == '\'' {
                                    "unterminated string (a ' is missing)"
                                } else {
                                    "unterminated quoted name (a \" is missing)"
                                },
                            ))
                        }
                        Some((_, ch)) if *ch == quote => {
                            if chars.get(j + 1).map(|(_, c)| *c) == Some(quote) {
                                text.push(quote);
                                j += 2;
                            } else {
                                j += 1;
                                break;
                            }
                        }
                        Some((_, ch)) => {
                            text.push(*ch);
                            j += 1;
                        }
                    }
                }
                let tok = if quote == '\'' {
                    Tok::Str(text)
                } else {
                    Tok::QuotedIdent(text)
                };
                push(&mut tokens, tok, j);
                i = j;
            }
            c if c.is_ascii_digit()
                || ((c == '-' || c == '+' || c == '.') && starts_number(&chars, i)) =>
            {
                let mut j = i + 1;
                while let Some((_, ch)) = chars.get(j) {
                    let prev = chars[j - 1].1;
                    if ch.is_ascii_digit()
                        || *ch == '.'
                        || *ch == 'e'
                        || *ch == 'E'
                        || ((*ch == '-' || *ch == '+') && (prev == 'e' || prev == 'E'))
                    {
                        j += 1;
                    } else {
                        break;
                    }
                }
                let text: String = chars[i..j].iter().map(|(_, c)| *c).collect();
                let value: f64 = text
                    .parse()
                    .map_err(|_| FilterError::at(pos, format!("{text:?} is not a number")))?;
                if !value.is_finite() {
                    return Err(FilterError::at(
                        pos,
                        format!("{text:?} is not a finite number"),
                    ));
                }
                push(&mut tokens, Tok::Num(value), j);
                i = j;
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut j = i + 1;
                while let Some((_, ch)) = chars.get(j) {
                    if ch.is_alphanumeric() || matches!(ch, '_' | '.' | ':') {
                        j += 1;
                    } else {
                        break;
                    }
                }
                let text: String = chars[i..j].iter().map(|(_, c)| *c).collect();
                push(&mut tokens, Tok::Ident(text), j);
                i = j;
            }
            other => {
                return Err(FilterError::at(
                    pos,
                    format!("unexpected character {other:?}"),
                ));
            }
        }
    }
    Ok(tokens)
}

fn starts_number(chars: &[(usize, char)], i: usize) -> bool {
    let next = chars.get(i + 1).map(|(_, c)| *c);
    match chars[i].1 {
        '.' => next.is_some_and(|c| c.is_ascii_digit()),
        _ => next.is_some_and(|c| c.is_ascii_digit() || c == '.'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<Tok> {
        lex(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn tokens_and_positions() {
        assert_eq!(
            kinds("pop >= -12.5e1 AND nom<>'L''ens'"),
            vec![
                Tok::Ident("pop".into()),
                Tok::Op(">="),
                Tok::Num(-125.0),
                Tok::Ident("AND".into()),
                Tok::Ident("nom".into()),
                Tok::Op("<>"),
                Tok::Str("L'ens".into()),
            ]
        );
        let t = lex("a = 'é' AND b").unwrap();
        assert_eq!(t[4].pos, 13);
        assert_eq!(
            kinds("\"my prop\" = 1")[0],
            Tok::QuotedIdent("my prop".into())
        );
    }

    #[test]
    fn errors_name_the_position() {
        assert_eq!(lex("a = 'x").unwrap_err().position, 5);
        assert_eq!(lex("a = #").unwrap_err().position, 5);
    }
}
