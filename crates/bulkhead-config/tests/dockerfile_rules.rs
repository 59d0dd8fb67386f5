//! Per-rule cases (hit and no-hit), modelled on hadolint's spec files (`test/Hadolint/Rule/*Spec.hs`).
//! Every case is checked against Bulkhead's linter; when the hadolint 2.15.1 binary is present
//! (.peers/bin/hadolint, or HADOLINT) the DL cases are also run through hadolint, which must agree —
//! so the expectations below are hadolint's actual behaviour, not only our reading of it.

use bulkhead_config::{Settings, lint_dockerfile};
use bulkhead_core::Severity;
use std::path::{Path, PathBuf};
use std::process::Command;

/// (rule, Dockerfile, expected hit)
const CASES: &[(&str, &str, bool)] = &[
    // DL3000
    ("DL3000", "FROM a:1\nWORKDIR foo\n", true),
    ("DL3000", "FROM a:1\nWORKDIR /foo\n", false),
    ("DL3000", "FROM a:1\nWORKDIR $HOME/x\n", false),
    ("DL3000", "FROM a:1\nWORKDIR \"/foo\"\n", false),
    ("DL3000", "FROM a:1\nWORKDIR C:\\\\x\n", false),
    // DL3001
    (
        "DL3001",
        "FROM a:1\nRUN apt-get install -y ssh && ssh x\n",
        true,
    ),
    ("DL3001", "FROM a:1\nRUN top\n", true),
    (
        "DL3001",
        "FROM a:1\nRUN apt-get install -y openssh-client\n",
        false,
    ),
    // DL3002
    ("DL3002", "FROM a:1\nUSER root\n", true),
    ("DL3002", "FROM a:1\nUSER 0:0\n", true),
    ("DL3002", "FROM a:1\nUSER root\nUSER app\n", false),
    ("DL3002", "FROM a:1\nUSER root\nFROM b:1\nUSER app\n", true),
    // DL3003
    (
        "DL3003",
        "FROM a:1\nRUN cd /usr/src/app && git clone x\n",
        true,
    ),
    ("DL3003", "FROM a:1\nRUN git clone x /usr/src/app\n", false),
    ("DL3003", "FROM a:1\nRUN echo $(cd /x && pwd)\n", true),
    // DL3004
    ("DL3004", "FROM a:1\nRUN sudo apt-get install x\n", true),
    ("DL3004", "FROM a:1\nRUN apt-get install sudo\n", false),
    // DL3006
    ("DL3006", "FROM debian\n", true),
    ("DL3006", "FROM debian:12\n", false),
    (
        "DL3006",
        "FROM debian@sha256:0000000000000000000000000000000000000000000000000000000000000000\n",
        false,
    ),
    ("DL3006", "FROM scratch\n", false),
    ("DL3006", "FROM debian:12 AS builder\nFROM builder\n", false),
    ("DL3006", "FROM myreg.io:5000/foo\n", true),
    ("DL3006", "ARG IMG=debian\nFROM ${IMG}\n", false),
    // DL3007
    ("DL3007", "FROM debian:latest\n", true),
    ("DL3007", "FROM debian:latest AS x\n", true),
    ("DL3007", "FROM debian:12\n", false),
    (
        "DL3007",
        "FROM debian:latest@sha256:0000000000000000000000000000000000000000000000000000000000000000\n",
        false,
    ),
    // DL3008
    ("DL3008", "FROM a:1\nRUN apt-get install -y python\n", true),
    (
        "DL3008",
        "FROM a:1\nRUN apt-get install -y python=2.7\n",
        false,
    ),
    (
        "DL3008",
        "FROM a:1\nRUN apt-get install -y ./x.deb /tmp/y.deb\n",
        false,
    ),
    (
        "DL3008",
        "FROM a:1\nRUN apt-get install -y -t stretch-backports python=2.7\n",
        false,
    ),
    (
        "DL3008",
        "FROM a:1\nENV P=python\nRUN apt-get install -y $P\n",
        true,
    ),
    (
        "DL3008",
        "FROM a:1\nARG V=2.7\nRUN apt-get install -y python=$V\n",
        false,
    ),
    // DL3009
    (
        "DL3009",
        "FROM a:1\nRUN apt-get update && apt-get install -y python\n",
        true,
    ),
    (
        "DL3009",
        "FROM a:1\nRUN apt-get update && apt-get install -y python && rm -rf /var/lib/apt/lists/*\n",
        false,
    ),
    (
        "DL3009",
        "FROM a:1 AS build\nRUN apt-get update && apt-get install -y python\nFROM b:1\nRUN echo\n",
        false,
    ),
    (
        "DL3009",
        "FROM a:1 AS build\nRUN apt-get update && apt-get install -y python\nFROM build\nRUN echo\n",
        true,
    ),
    (
        "DL3009",
        "FROM a:1\nRUN --mount=type=cache,target=/var/lib/apt/lists apt-get update && apt-get install -y python\n",
        false,
    ),
    // DL3011
    ("DL3011", "FROM a:1\nEXPOSE 80000\n", true),
    ("DL3011", "FROM a:1\nEXPOSE 80 443/tcp 8000-8080\n", false),
    // DL3012
    (
        "DL3012",
        "FROM a:1\nHEALTHCHECK CMD [\"a\"]\nHEALTHCHECK CMD [\"b\"]\n",
        true,
    ),
    (
        "DL3012",
        "FROM a:1\nHEALTHCHECK CMD [\"a\"]\nFROM b:1\nHEALTHCHECK CMD [\"b\"]\n",
        false,
    ),
    // DL3013
    ("DL3013", "FROM a:1\nRUN pip install django\n", true),
    ("DL3013", "FROM a:1\nRUN pip install django==1.9\n", false),
    (
        "DL3013",
        "FROM a:1\nRUN pip install -r requirements.txt\n",
        false,
    ),
    ("DL3013", "FROM a:1\nRUN pip install .\n", false),
    (
        "DL3013",
        "FROM a:1\nRUN pip install -c constraints.txt django\n",
        false,
    ),
    (
        "DL3013",
        "FROM a:1\nRUN python -m pip install django\n",
        true,
    ),
    (
        "DL3013",
        "FROM a:1\nRUN pip install git+https://github.com/x/y@v1\n",
        false,
    ),
    (
        "DL3013",
        "FROM a:1\nRUN pip install --index-url https://x/simple django==1\n",
        false,
    ),
    ("DL3013", "FROM a:1\nRUN pip install ./dist/x.whl\n", false),
    // DL3014
    ("DL3014", "FROM a:1\nRUN apt-get install python=2.7\n", true),
    (
        "DL3014",
        "FROM a:1\nRUN apt-get install -yq python=2.7\n",
        false,
    ),
    (
        "DL3014",
        "FROM a:1\nRUN apt-get install --assume-yes python=2.7\n",
        false,
    ),
    // DL3015
    (
        "DL3015",
        "FROM a:1\nRUN apt-get install -y python=2.7\n",
        true,
    ),
    (
        "DL3015",
        "FROM a:1\nRUN apt-get install -y --no-install-recommends python=2.7\n",
        false,
    ),
    (
        "DL3015",
        "FROM a:1\nRUN apt-get -o APT::Install-Recommends=false install -y python=2.7\n",
        false,
    ),
    // DL3016
    ("DL3016", "FROM a:1\nRUN npm install express\n", true),
    ("DL3016", "FROM a:1\nRUN npm install express@4.1.1\n", false),
    (
        "DL3016",
        "FROM a:1\nRUN npm install @angular/cli@13\n",
        false,
    ),
    ("DL3016", "FROM a:1\nRUN npm install @angular/cli\n", true),
    ("DL3016", "FROM a:1\nRUN npm install\n", false),
    (
        "DL3016",
        "FROM a:1\nRUN npm install git+https://github.com/x/y.git#v1\n",
        false,
    ),
    ("DL3016", "FROM a:1\nRUN npm install ./local\n", false),
    // DL3018
    ("DL3018", "FROM a:1\nRUN apk add --no-cache python\n", true),
    (
        "DL3018",
        "FROM a:1\nRUN apk add --no-cache python=2.7\n",
        false,
    ),
    (
        "DL3018",
        "FROM a:1\nRUN apk add --no-cache --virtual .deps python=2.7 gcc~12\n",
        false,
    ),
    (
        "DL3018",
        "FROM a:1\nRUN apk add --no-cache ./x.apk\n",
        false,
    ),
    (
        "DL3018",
        "FROM a:1\nONBUILD RUN apk add --no-cache python\n",
        true,
    ),
    // DL3019
    ("DL3019", "FROM a:1\nRUN apk add python=2.7\n", true),
    (
        "DL3019",
        "FROM a:1\nRUN apk add --no-cache python=2.7\n",
        false,
    ),
    ("DL3019", "FROM a:1\nRUN apk update\n", false),
    // DL3020
    ("DL3020", "FROM a:1\nADD file /usr/src/app/\n", true),
    ("DL3020", "FROM a:1\nADD file.tar.gz /usr/src/app/\n", false),
    (
        "DL3020",
        "FROM a:1\nADD https://example.com/x /usr/src/app/\n",
        false,
    ),
    ("DL3020", "FROM a:1\nCOPY file /usr/src/app/\n", false),
    // DL3021
    ("DL3021", "FROM a:1\nCOPY a b c\n", true),
    ("DL3021", "FROM a:1\nCOPY a b c/\n", false),
    ("DL3021", "FROM a:1\nCOPY a c\n", false),
    ("DL3021", "FROM a:1\nCOPY [\"a\", \"b\", \"c/\"]\n", false),
    // DL3022
    ("DL3022", "FROM a:1\nCOPY --from=foo bar .\n", true),
    (
        "DL3022",
        "FROM a:1\nCOPY --from=build foo .\nFROM b:1 AS build\n",
        true,
    ),
    (
        "DL3022",
        "FROM a:1 AS build\nFROM b:1\nCOPY --from=build foo .\n",
        false,
    ),
    ("DL3022", "FROM a:1\nFROM b:1\nCOPY --from=0 foo .\n", false),
    (
        "DL3022",
        "FROM a:1\nCOPY --from=nginx:1.27 /etc/nginx /etc/nginx\n",
        false,
    ),
    // DL3023
    ("DL3023", "FROM a:1 AS foo\nCOPY --from=foo bar .\n", true),
    (
        "DL3023",
        "FROM a:1 AS foo\nFROM b:1 AS bar\nCOPY --from=foo bar .\n",
        false,
    ),
    // DL3024
    ("DL3024", "FROM a:1 AS foo\nFROM b:1 AS foo\n", true),
    ("DL3024", "FROM a:1 AS foo\nFROM b:1 AS bar\n", false),
    // DL3025
    ("DL3025", "FROM a:1\nCMD node server.js\n", true),
    (
        "DL3025",
        "FROM a:1\nENTRYPOINT nginx -g 'daemon off;'\n",
        true,
    ),
    ("DL3025", "FROM a:1\nCMD [\"node\", \"server.js\"]\n", false),
    (
        "DL3025",
        "FROM a:1\nHEALTHCHECK CMD curl -f http://localhost/\n",
        true,
    ),
    // DL3027
    ("DL3027", "FROM a:1\nRUN apt install -y python\n", true),
    ("DL3027", "FROM a:1\nRUN apt-get install -y python\n", false),
    // DL3028
    ("DL3028", "FROM a:1\nRUN gem install bundler\n", true),
    ("DL3028", "FROM a:1\nRUN gem install bundler:2.1\n", false),
    (
        "DL3028",
        "FROM a:1\nRUN gem install bundler -v 2.1\n",
        false,
    ),
    (
        "DL3028",
        "FROM a:1\nRUN gem install bundler --version=2.1\n",
        false,
    ),
    // DL3029
    ("DL3029", "FROM --platform=linux/amd64 debian:12\n", true),
    (
        "DL3029",
        "FROM --platform=$BUILDPLATFORM debian:12\n",
        false,
    ),
    ("DL3029", "FROM debian:12\n", false),
    // DL3030
    (
        "DL3030",
        "FROM a:1\nRUN yum install httpd-2.4 && yum clean all\n",
        true,
    ),
    (
        "DL3030",
        "FROM a:1\nRUN yum install -y httpd-2.4 && yum clean all\n",
        false,
    ),
    // DL3032
    ("DL3032", "FROM a:1\nRUN yum install -y httpd-2.4\n", true),
    (
        "DL3032",
        "FROM a:1\nRUN yum install -y httpd-2.4 && yum clean all\n",
        false,
    ),
    // DL3033
    (
        "DL3033",
        "FROM a:1\nRUN yum install -y httpd && yum clean all\n",
        true,
    ),
    (
        "DL3033",
        "FROM a:1\nRUN yum install -y httpd-2.4.24 && yum clean all\n",
        false,
    ),
    (
        "DL3033",
        "FROM a:1\nRUN yum module install -y container-tools:3 && yum clean all\n",
        false,
    ),
    // DL3034
    (
        "DL3034",
        "FROM a:1\nRUN zypper install httpd=2.4 && zypper clean\n",
        true,
    ),
    (
        "DL3034",
        "FROM a:1\nRUN zypper install -y httpd=2.4 && zypper clean\n",
        false,
    ),
    // DL3035
    ("DL3035", "FROM a:1\nRUN zypper dist-upgrade\n", true),
    (
        "DL3035",
        "FROM a:1\nRUN zypper install -y httpd=2.4 && zypper clean\n",
        false,
    ),
    // DL3036
    (
        "DL3036",
        "FROM a:1\nRUN zypper install -y httpd=2.4\n",
        true,
    ),
    (
        "DL3036",
        "FROM a:1\nRUN zypper install -y httpd=2.4 && zypper clean\n",
        false,
    ),
    // DL3037
    (
        "DL3037",
        "FROM a:1\nRUN zypper install -y httpd && zypper clean\n",
        true,
    ),
    (
        "DL3037",
        "FROM a:1\nRUN zypper install -y 'httpd>=2.4' && zypper clean\n",
        false,
    ),
    // DL3038
    (
        "DL3038",
        "FROM a:1\nRUN dnf install httpd-2.4.24 && dnf clean all\n",
        true,
    ),
    (
        "DL3038",
        "FROM a:1\nRUN dnf install -y httpd-2.4.24 && dnf clean all\n",
        false,
    ),
    (
        "DL3038",
        "FROM a:1\nRUN microdnf install httpd-2.4.24 && microdnf clean all\n",
        true,
    ),
    // DL3040
    (
        "DL3040",
        "FROM a:1\nRUN dnf install -y httpd-2.4.24\n",
        true,
    ),
    (
        "DL3040",
        "FROM a:1\nRUN dnf install -y httpd-2.4.24 && dnf clean all\n",
        false,
    ),
    (
        "DL3040",
        "FROM a:1\nRUN dnf clean all && dnf install -y httpd-2.4.24\n",
        true,
    ),
    // DL3041
    (
        "DL3041",
        "FROM a:1\nRUN dnf install -y httpd && dnf clean all\n",
        true,
    ),
    (
        "DL3041",
        "FROM a:1\nRUN dnf install -y httpd-2.4.24 && dnf clean all\n",
        false,
    ),
    (
        "DL3041",
        "FROM a:1\nRUN dnf install -y foo-bar && dnf clean all\n",
        true,
    ),
    (
        "DL3041",
        "FROM a:1\nENV V=1.2\nRUN dnf install -y foo-$V && dnf clean all\n",
        false,
    ),
    (
        "DL3041",
        "FROM a:1\nRUN dnf module install -y nodejs:16 && dnf clean all\n",
        false,
    ),
    // DL3042
    ("DL3042", "FROM a:1\nRUN pip install django==1\n", true),
    (
        "DL3042",
        "FROM a:1\nRUN pip install --no-cache-dir django==1\n",
        false,
    ),
    (
        "DL3042",
        "FROM a:1\nENV PIP_NO_CACHE_DIR=1\nRUN pip install django==1\n",
        false,
    ),
    (
        "DL3042",
        "FROM a:1 AS base\nENV PIP_NO_CACHE_DIR=yes\nFROM base\nRUN pip install django==1\n",
        false,
    ),
    (
        "DL3042",
        "FROM a:1\nRUN PIP_NO_CACHE_DIR=1 pip install django==1\n",
        false,
    ),
    (
        "DL3042",
        "FROM a:1\nRUN --mount=type=cache,target=/root/.cache/pip pip install django==1\n",
        false,
    ),
    ("DL3042", "FROM a:1\nRUN pipx install django==1\n", false),
    // DL3044
    ("DL3044", "FROM a:1\nENV A=1 B=$A\n", true),
    ("DL3044", "FROM a:1\nENV A=1 B=${A}\n", true),
    ("DL3044", "FROM a:1\nENV A=1\nENV B=$A\n", false),
    ("DL3044", "FROM a:1\nENV A=1 B=$AB\n", false),
    ("DL3044", "FROM a:1\nENV PATH=/x:$PATH\n", false),
    // DL3045
    ("DL3045", "FROM a:1\nCOPY a b\n", true),
    ("DL3045", "FROM a:1\nWORKDIR /x\nCOPY a b\n", false),
    ("DL3045", "FROM a:1\nCOPY a /b\n", false),
    (
        "DL3045",
        "FROM a:1 AS base\nWORKDIR /x\nFROM base\nCOPY a b\n",
        false,
    ),
    ("DL3045", "FROM a:1\nCOPY a c:\\\\b\n", false),
    // DL3046
    ("DL3046", "FROM a:1\nRUN useradd -u 123456 foobar\n", true),
    (
        "DL3046",
        "FROM a:1\nRUN useradd -l -u 123456 foobar\n",
        false,
    ),
    ("DL3046", "FROM a:1\nRUN useradd -u 1000 foobar\n", false),
    // DL3047
    ("DL3047", "FROM a:1\nRUN wget http://x/y.tar.gz\n", true),
    (
        "DL3047",
        "FROM a:1\nRUN wget --progress=dot:giga http://x/y.tar.gz\n",
        false,
    ),
    ("DL3047", "FROM a:1\nRUN wget -q http://x/y.tar.gz\n", false),
    (
        "DL3047",
        "FROM a:1\nRUN wget -nv http://x/y.tar.gz\n",
        false,
    ),
    (
        "DL3047",
        "FROM a:1\nRUN wget -O y.tar.gz http://x/y.tar.gz\n",
        true,
    ),
    // DL3048
    ("DL3048", "FROM a:1\nLABEL Maintainer=x\n", true),
    (
        "DL3048",
        "FROM a:1\nLABEL org.opencontainers.image.source=x\n",
        false,
    ),
    ("DL3048", "FROM a:1\nLABEL com.docker.x=y\n", true),
    // DL3059
    ("DL3059", "FROM a:1\nRUN echo a\nRUN echo b\n", true),
    ("DL3059", "FROM a:1\nRUN echo a\n# c\nRUN echo b\n", true),
    (
        "DL3059",
        "FROM a:1\nRUN echo a\nWORKDIR /x\nRUN echo b\n",
        false,
    ),
    (
        "DL3059",
        "FROM a:1\nRUN echo a && echo b\nRUN echo c\n",
        false,
    ),
    (
        "DL3059",
        "FROM a:1\nRUN echo a\nRUN --mount=type=cache,target=/x echo b\n",
        false,
    ),
    // DL3060
    ("DL3060", "FROM a:1\nRUN yarn install\n", true),
    (
        "DL3060",
        "FROM a:1\nRUN yarn install && yarn cache clean\n",
        false,
    ),
    // DL3062
    ("DL3062", "FROM a:1\nRUN go install example.com/pkg\n", true),
    (
        "DL3062",
        "FROM a:1\nRUN go install example.com/pkg@latest\n",
        true,
    ),
    (
        "DL3062",
        "FROM a:1\nRUN go install example.com/pkg@v1.2.3\n",
        false,
    ),
    ("DL3062", "FROM a:1\nRUN go install ./cmd/x\n", false),
    // DL3063
    ("DL3063", "FROM a:1 AS scratch\n", true),
    ("DL3063", "FROM a:1 AS context\n", true),
    ("DL3063", "FROM a:1 AS build\n", false),
    // DL3064
    ("DL3064", "FROM a:1\nARG GITHUB_TOKEN\n", true),
    (
        "DL3064",
        "FROM a:1\nENV MY_PASSWORD_FILE=/run/secrets/x\n",
        true,
    ),
    ("DL3064", "FROM a:1\nENV VERSION=1\n", false),
    // DL3065
    (
        "DL3065",
        "FROM --platform=$TARGETPLATFORM debian:12\n",
        true,
    ),
    (
        "DL3065",
        "FROM --platform=$BUILDPLATFORM debian:12\n",
        false,
    ),
    // DL3066
    ("DL3066", "FROM a:1\nUSER app\n", true),
    ("DL3066", "FROM a:1\nUSER 1000:app\n", false),
    ("DL3066", "FROM a:1\nUSER 1000\n", false),
    // DL3067
    (
        "DL3067",
        "FROM a:1 AS b\nFROM c:1\nCOPY --from=b / /\n",
        true,
    ),
    (
        "DL3067",
        "FROM a:1 AS b\nFROM c:1\nCOPY --from=b /app /app\n",
        false,
    ),
    ("DL3067", "FROM a:1\nCOPY / /\n", false),
    // DL4000
    ("DL4000", "FROM a:1\nMAINTAINER Lukas\n", true),
    ("DL4000", "FROM a:1\nLABEL maintainer=Lukas\n", false),
    // DL4001
    ("DL4001", "FROM a:1\nRUN wget -q x\nRUN curl x\n", true),
    (
        "DL4001",
        "FROM a:1\nRUN wget -q x\nFROM b:1\nRUN curl x\n",
        false,
    ),
    ("DL4001", "FROM a:1\nRUN curl x\n", false),
    // DL4003
    ("DL4003", "FROM a:1\nCMD [\"a\"]\nCMD [\"b\"]\n", true),
    (
        "DL4003",
        "FROM a:1\nCMD [\"a\"]\nFROM b:1\nCMD [\"b\"]\n",
        false,
    ),
    // DL4004
    (
        "DL4004",
        "FROM a:1\nENTRYPOINT [\"a\"]\nENTRYPOINT [\"b\"]\n",
        true,
    ),
    ("DL4004", "FROM a:1\nENTRYPOINT [\"a\"]\n", false),
    // DL4005
    ("DL4005", "FROM a:1\nRUN ln -sfv /bin/bash /bin/sh\n", true),
    (
        "DL4005",
        "FROM a:1\nRUN ln -sf /bin/true /sbin/initctl\n",
        false,
    ),
    // DL4006
    (
        "DL4006",
        "FROM a:1\nRUN wget -q -O - https://x | tar xz\n",
        true,
    ),
    (
        "DL4006",
        "FROM a:1\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN wget -q -O - https://x | tar xz\n",
        false,
    ),
    (
        "DL4006",
        "FROM a:1\nSHELL [\"/bin/ash\", \"-eo\", \"pipefail\", \"-c\"]\nRUN a | b\n",
        false,
    ),
    (
        "DL4006",
        "FROM a:1\nSHELL [\"/bin/sh\", \"-o\", \"pipefail\", \"-c\"]\nRUN a | b\n",
        true,
    ),
    (
        "DL4006",
        "FROM a:1\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nFROM b:1\nRUN a | b\n",
        true,
    ),
    (
        "DL4006",
        "FROM a:1\nSHELL [\"pwsh\", \"-c\"]\nRUN a | b\n",
        false,
    ),
    ("DL4006", "FROM a:1\nRUN a || b\n", false),
    (
        "DL4006",
        "FROM a:1\nRUN case $x in a|b) echo ;; esac\n",
        false,
    ),
    ("DL4006", "FROM a:1\nRUN echo \"a|b\"\n", false),
];

/// DL3043 (`ONBUILD FROM/MAINTAINER/ONBUILD`) cannot be reported: BuildKit rejects those triggers, and
/// so does the parser, which gives BH-PARSE (alias DL1000) where hadolint gives DL3043.
#[test]
fn onbuild_triggers_that_buildkit_rejects_are_parse_errors() {
    for t in [
        "FROM a:1\nONBUILD MAINTAINER x\n",
        "FROM a:1\nONBUILD FROM b:1\n",
        "FROM a:1\nONBUILD ONBUILD RUN x\n",
    ] {
        let f = lint_dockerfile("Dockerfile", t, &Settings::default());
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            (f[0].id.as_str(), f[0].location.line, f[0].severity),
            ("BH-PARSE", Some(2), Severity::High)
        );
        assert!(f[0].is_named("DL1000"), "hadolint's id is an alias");
    }
}

fn hadolint() -> Option<PathBuf> {
    let p = match std::env::var_os("HADOLINT") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.peers/bin/hadolint"),
    };
    p.is_file().then_some(p)
}

fn ours(rule: &str, text: &str) -> bool {
    let mut settings = Settings::default();
    if rule == "DL3057" {
        settings.overrides.insert("DL3057".into(), Severity::Low);
    }
    // a Bulkhead finding that replaces a hadolint one on the same line carries its ID as alias
    lint_dockerfile("Dockerfile", text, &settings)
        .iter()
        .any(|f| f.id == rule || (f.id.starts_with("BH-") && f.aliases.iter().any(|a| a == rule)))
}

#[test]
fn rule_cases() {
    let mut bad = Vec::new();
    for (rule, text, expect) in CASES {
        if ours(rule, text) != *expect {
            bad.push(format!("{rule} expected {expect} on:\n{text}"));
        }
    }
    assert!(
        bad.is_empty(),
        "{} cases failed:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// The same cases through hadolint 2.15.1: hadolint must agree with every expectation.
#[test]
fn rule_cases_agree_with_hadolint() {
    let Some(bin) = hadolint() else {
        if std::env::var("BULKHEAD_STRICT").as_deref() == Ok("1") {
            panic!("BULKHEAD_STRICT=1 but the hadolint binary is missing");
        }
        println!("SKIP: hadolint binary not found");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut bad = Vec::new();
    for (k, (rule, text, expect)) in CASES.iter().enumerate() {
        let p = dir.path().join(format!("Dockerfile.{k}"));
        std::fs::write(&p, text).unwrap();
        let out = Command::new(&bin)
            .args(["--no-fail", "-f", "json"])
            .arg(&p)
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let hit = v
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["code"].as_str() == Some(rule));
        if hit != *expect {
            bad.push(format!(
                "hadolint: {rule} = {hit}, expected {expect} on:\n{text}"
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "{} cases disagree:\n{}",
        bad.len(),
        bad.join("\n")
    );
}
