namespace Herald.Protocol.UrlPatterns;

/// <summary>
/// The standard's constructor string parser: splits <c>https://{*.}?example.com/:id?q#h</c> into component patterns,
/// on the lenient tokenizer's tokens (a state machine; each token is visited a bounded number of times).
/// </summary>
internal sealed class ConstructorStringParser
{
    private enum State
    {
        Init,
        Protocol,
        Authority,
        Username,
        Password,
        Hostname,
        Port,
        Pathname,
        Search,
        Hash,
        Done,
    }

    private readonly string _input;
    private readonly List<PatternToken> _tokens;
    private readonly UrlPatternInit _result = new();
    private int _componentStart;
    private int _tokenIndex;
    private int _tokenIncrement = 1;
    private int _groupDepth;
    private int _ipv6BracketDepth;
    private bool _protocolMatchesSpecialScheme;
    private State _state = State.Init;

    private ConstructorStringParser(string input)
    {
        _input = input;
        _tokens = PatternTokenizer.Tokenize(input, strict: false);
    }

    public static UrlPatternInit Parse(string input)
    {
        var parser = new ConstructorStringParser(input);
        parser.Run();
        return parser._result;
    }

    private void Run()
    {
        while (_tokenIndex < _tokens.Count)
        {
            _tokenIncrement = 1;
            if (_tokens[_tokenIndex].Type == TokenType.End)
            {
                if (_state == State.Init)
                {
                    Rewind();
                    if (IsHashPrefix())
                    {
                        ChangeState(State.Hash, 1);
                    }
                    else if (IsSearchPrefix())
                    {
                        ChangeState(State.Search, 1);
                    }
                    else
                    {
                        ChangeState(State.Pathname, 0);
                    }

                    _tokenIndex += _tokenIncrement;
                    continue;
                }

                if (_state == State.Authority)
                {
                    Rewind();
                    _state = State.Hostname;
                    _tokenIndex += _tokenIncrement;
                    continue;
                }

                ChangeState(State.Done, 0);
                break;
            }

            if (_tokens[_tokenIndex].Type == TokenType.Open)
            {
                _groupDepth++;
                _tokenIndex += _tokenIncrement;
                continue;
            }

            if (_groupDepth > 0)
            {
                if (_tokens[_tokenIndex].Type == TokenType.Close)
                {
                    _groupDepth--;
                }
                else
                {
                    _tokenIndex += _tokenIncrement;
                    continue;
                }
            }

            Step();
            _tokenIndex += _tokenIncrement;
        }

        if (_result.Hostname is not null && _result.Port is null)
        {
            _result.Port = "";
        }
    }

    private void Step()
    {
        switch (_state)
        {
            case State.Init:
                if (IsChar(_tokenIndex, ':'))
                {
                    Rewind();
                    _state = State.Protocol;
                }

                break;
            case State.Protocol:
                if (IsChar(_tokenIndex, ':'))
                {
                    ComputeProtocolMatchesSpecialScheme();
                    var next = State.Pathname;
                    var skip = 1;
                    if (IsChar(_tokenIndex + 1, '/') && IsChar(_tokenIndex + 2, '/'))
                    {
                        next = State.Authority;
                        skip = 3;
                    }
                    else if (_protocolMatchesSpecialScheme)
                    {
                        next = State.Authority;
                    }

                    ChangeState(next, skip);
                }

                break;
            case State.Authority:
                if (IsChar(_tokenIndex, '@'))
                {
                    Rewind();
                    _state = State.Username;
                }
                else if (IsChar(_tokenIndex, '/') || IsSearchPrefix() || IsHashPrefix())
                {
                    Rewind();
                    _state = State.Hostname;
                }

                break;
            case State.Username:
                if (IsChar(_tokenIndex, ':'))
                {
                    ChangeState(State.Password, 1);
                }
                else if (IsChar(_tokenIndex, '@'))
                {
                    ChangeState(State.Hostname, 1);
                }

                break;
            case State.Password:
                if (IsChar(_tokenIndex, '@'))
                {
                    ChangeState(State.Hostname, 1);
                }

                break;
            case State.Hostname:
                if (IsChar(_tokenIndex, '['))
                {
                    _ipv6BracketDepth++;
                }
                else if (IsChar(_tokenIndex, ']'))
                {
                    _ipv6BracketDepth--;
                }
                else if (IsChar(_tokenIndex, ':') && _ipv6BracketDepth == 0)
                {
                    ChangeState(State.Port, 1);
                }
                else if (IsChar(_tokenIndex, '/'))
                {
                    ChangeState(State.Pathname, 0);
                }
                else if (IsSearchPrefix())
                {
                    ChangeState(State.Search, 1);
                }
                else if (IsHashPrefix())
                {
                    ChangeState(State.Hash, 1);
                }

                break;
            case State.Port:
                if (IsChar(_tokenIndex, '/'))
                {
                    ChangeState(State.Pathname, 0);
                }
                else if (IsSearchPrefix())
                {
                    ChangeState(State.Search, 1);
                }
                else if (IsHashPrefix())
                {
                    ChangeState(State.Hash, 1);
                }

                break;
            case State.Pathname:
                if (IsSearchPrefix())
                {
                    ChangeState(State.Search, 1);
                }
                else if (IsHashPrefix())
                {
                    ChangeState(State.Hash, 1);
                }

                break;
            case State.Search:
                if (IsHashPrefix())
                {
                    ChangeState(State.Hash, 1);
                }

                break;
        }
    }

    private void ChangeState(State next, int skip)
    {
        if (_state is not State.Init and not State.Authority and not State.Done)
        {
            _result[(int)_state - (int)State.Protocol - (_state >= State.Username ? 1 : 0)] = MakeComponentString();
        }

        if (_state != State.Init && next != State.Done)
        {
            var beforeHost = _state is State.Protocol or State.Authority or State.Username or State.Password;
            if (beforeHost && next is State.Port or State.Pathname or State.Search or State.Hash && _result.Hostname is null)
            {
                _result.Hostname = "";
            }

            if ((beforeHost || _state is State.Hostname or State.Port) && next is State.Search or State.Hash && _result.Pathname is null)
            {
                _result.Pathname = _protocolMatchesSpecialScheme ? "/" : "";
            }

            if ((beforeHost || _state is State.Hostname or State.Port or State.Pathname) && next == State.Hash && _result.Search is null)
            {
                _result.Search = "";
            }
        }

        _state = next;
        _tokenIndex += skip;
        _componentStart = _tokenIndex;
        _tokenIncrement = 0;
    }

    private void Rewind()
    {
        _tokenIndex = _componentStart;
        _tokenIncrement = 0;
    }

    private PatternToken SafeToken(int index) => index < _tokens.Count ? _tokens[index] : _tokens[^1];

    private bool IsChar(int index, char value)
    {
        var token = SafeToken(index);
        return token.Value.Length == 1 && token.Value[0] == value && token.Type is TokenType.Char or TokenType.EscapedChar or TokenType.InvalidChar;
    }

    private bool IsHashPrefix() => IsChar(_tokenIndex, '#');

    private bool IsSearchPrefix()
    {
        if (IsChar(_tokenIndex, '?'))
        {
            return true;
        }

        if (_tokens[_tokenIndex].Value != "?")
        {
            return false;
        }

        return _tokenIndex == 0 || SafeToken(_tokenIndex - 1).Type is not (TokenType.Name or TokenType.Regexp or TokenType.Close or TokenType.Asterisk);
    }

    private string MakeComponentString()
    {
        var start = SafeToken(_componentStart).Index;
        return _input[start.._tokens[_tokenIndex].Index];
    }

    private void ComputeProtocolMatchesSpecialScheme()
    {
        var component = UrlPatternComponent.Compile(MakeComponentString(), UrlCanonicalizer.Protocol, PatternOptions.Default);
        _protocolMatchesSpecialScheme = Herald.Protocol.Urls.UrlSchemes.Special.Any(component.IsMatch);
    }
}
